#!/usr/bin/env node
// `npm run bench:api`: Kafka ready (the API checks it at start-up), a build, then the API benchmark
// (apps/api/bench/api-bench.ts), which seeds and migrates its own database (API_BENCH_DATABASE_URL).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startKafka } from './kafka.mjs';
import { build, ensureNodeModules, REPO_ROOT, step } from './lib/workspace.mjs';

try {
  await ensureNodeModules();
  const kafka = await startKafka({ log: step });
  await build();
  const brokers = process.env.KAFKA_BROKERS ?? kafka.brokers;
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'apps', 'api', 'bench', 'api-bench.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, KAFKA_BROKERS: brokers },
  });
  process.exit(result.status ?? 1);
} catch (error) {
  process.stderr.write(`bench:api: ${error.message}\n`);
  process.exit(1);
}
