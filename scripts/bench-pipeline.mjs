#!/usr/bin/env node
// `npm run bench:pipeline -- [--events N] [--instances K] [--latency-seconds S] [--rate R] [--raw N] [--updates U]
//   [--population P] [--save-population]`:
// builds, makes sure Kafka runs, recreates the tandem_bench database (never the dev or test one),
// then runs the compiled benchmark (tools/bench/src/pipeline.ts).
// --population P: the database starts as a copy of <bench database>_pop<P> (the first P events of the
// same stream, resolved and saved by an earlier run) and the run resolves events P+1 to P+N: the
// marginal rate at that population, without resolving the first P again. --save-population: once the
// run ends, the database is copied to <bench database>_pop<P+N> for such runs.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, ensureNodeModules, migrate, REPO_ROOT, run, step } from './lib/workspace.mjs';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tandem_bench';
const name = new URL(url).pathname.slice(1);
if (!/bench/.test(name)) {
  process.stderr.write(`bench:pipeline: refusing to recreate database "${name}" (its name must contain "bench")\n`);
  process.exit(2);
}
const args = process.argv.slice(2);
const save = args.indexOf('--save-population');
if (save >= 0) args.splice(save, 1);
const option = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
const population = option('--population', 0);
const populationDatabase = (events) => `${name}_pop${events}`;
try {
  await ensureNodeModules();
  await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'kafka.mjs'), 'start']);
  await build();
  const { Client } = createRequire(import.meta.url)(path.join(REPO_ROOT, 'node_modules', 'pg'));
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  step(`recreating database ${name}`);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  if (population > 0) {
    step(`starting from the population saved in ${populationDatabase(population)}`);
    // A file copy between two checkpoints (PostgreSQL 15+): the default strategy writes the whole copy
    // through the WAL, whose checkpoint then flushed gigabytes during the measured run.
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${populationDatabase(population)} STRATEGY FILE_COPY`);
  } else await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  await migrate(url);
} catch (error) {
  process.stderr.write(`bench:pipeline: ${error.message}\n`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'bench', 'src', 'pipeline.js'), ...args], {
  stdio: 'inherit',
  env: { ...process.env, BENCH_DATABASE_URL: url },
});
if (result.status === 0 && save >= 0) {
  const saved = populationDatabase(population + option('--events', 1_000_000));
  step(`saving the population as ${saved}`);
  const { Client } = createRequire(import.meta.url)(path.join(REPO_ROOT, 'node_modules', 'pg'));
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${saved} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${saved} TEMPLATE ${name} STRATEGY FILE_COPY`);
  await admin.end();
}
process.exit(result.status ?? 1);
