import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../data-source';
import { DEFAULT_DATABASE_URL, databaseName, describeDatabaseUrl } from '../database-url';

/**
 * `node dist/libs/persistence/src/cli/migrate.js [up|down|status]`: creates the database named in
 * DATABASE_URL if it is missing, then applies (or reverts the last of) the SQL migrations.
 */
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'up';
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (!['up', 'down', 'status'].includes(command)) throw new Error(`unknown command "${command}" (use up, down or status)`);
  await createDatabaseIfMissing(url);
  const dataSource = new DataSource(dataSourceOptions({ url, poolSize: 1, applicationName: 'tandem-migrate' }));
  await dataSource.initialize();
  try {
    if (command === 'up') {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      process.stdout.write(`${describeDatabaseUrl(url)}: ${applied.length} migration(s) applied${applied.length ? ` (${applied.map((m) => m.name).join(', ')})` : ', schema up to date'}\n`);
    } else if (command === 'down') {
      await dataSource.undoLastMigration({ transaction: 'each' });
      process.stdout.write(`${describeDatabaseUrl(url)}: last migration reverted\n`);
    } else {
      const pending = await dataSource.showMigrations();
      process.stdout.write(`${describeDatabaseUrl(url)}: ${pending ? 'migrations pending' : 'schema up to date'}\n`);
    }
  } finally {
    await dataSource.destroy();
  }
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at ${describeDatabaseUrl(url)}: ${(error as Error).message}`);
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      process.stdout.write(`created database ${name}\n`);
    }
  } finally {
    await client.end();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`migrate: ${error.message}\n`);
  process.exit(1);
});
