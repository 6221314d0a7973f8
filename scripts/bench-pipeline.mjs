#!/usr/bin/env node
// `npm run bench:pipeline -- [--events N] [--instances K] [--latency-seconds S] [--rate R] [--raw N]`:
// builds, makes sure Kafka runs, recreates the tandem_bench database (never the dev or test one),
// then runs the compiled benchmark (tools/bench/src/pipeline.ts).
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
try {
  await ensureNodeModules();
  await run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'kafka.mjs'), 'start']);
  await build();
  const { Client } = createRequire(import.meta.url)(path.join(REPO_ROOT, 'node_modules', 'pg'));
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  step(`recreating database ${name}`);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  await migrate(url);
} catch (error) {
  process.stderr.write(`bench:pipeline: ${error.message}\n`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'bench', 'src', 'pipeline.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, BENCH_DATABASE_URL: url },
});
process.exit(result.status ?? 1);
