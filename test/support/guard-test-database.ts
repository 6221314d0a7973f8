// Runs before every end-to-end suite: the suites truncate and rewrite tables, so they must never
// point at a database that could hold real data.
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tandem_test';
process.env.DATABASE_URL = url;
const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
if (!name.includes('test')) {
  throw new Error(`refusing to run end-to-end tests against database "${name}": its name must contain "test" (set DATABASE_URL)`);
}
