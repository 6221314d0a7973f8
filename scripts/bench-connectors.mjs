#!/usr/bin/env node
// `npm run bench:connectors [-- --records N --runs R]`: Kafka and the database ready, a build, then
// the connectors benchmark (apps/connectors/src/bench/connectors.bench.ts) against the dev database.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startKafka } from './kafka.mjs';
import { build, DEFAULT_DATABASE_URL, ensureNodeModules, migrate, REPO_ROOT, step } from './lib/workspace.mjs';

try {
  await ensureNodeModules();
  const kafka = await startKafka({ log: step });
  await build();
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  await migrate(databaseUrl);
  step('benchmark (erp, crm: the connector and its producer in this process; marketing, segment: the connectors app in its own)');
  // The young generation the connectors app runs with (scripts/lib/services.mjs), see the README.
  const nodeFlags = ['--max-semi-space-size=64'];
  const brokers = process.env.KAFKA_BROKERS ?? kafka.brokers;
  // The broker's CPU is counted only for the one started here (other worktrees run their own).
  const brokerPid = brokers === kafka.brokers ? { BENCH_KAFKA_PID: String(kafka.pid) } : {};
  const result = spawnSync(process.execPath, [...nodeFlags, path.join(REPO_ROOT, 'dist', 'apps', 'connectors', 'src', 'bench', 'connectors.bench.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...brokerPid, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers },
  });
  process.exit(result.status ?? 1);
} catch (error) {
  process.stderr.write(`bench:connectors: ${error.message}\n`);
  process.exit(1);
}
