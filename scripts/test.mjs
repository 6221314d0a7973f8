#!/usr/bin/env node
// `npm test`: the same preparation as `npm start` (packages, Kafka, build, databases), then the
// type check, the unit tests and the end-to-end tests over the real Kafka and PostgreSQL; then it
// stops what it started. The last line is `tests: N passed, N failed`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debeziumStatus, stopDebezium } from './debezium.mjs';
import { startKafka, stopKafka, testKafkaEnv } from './kafka.mjs';
import { build, DEFAULT_TEST_DATABASE_URL, ensureNodeModules, migrate, REPO_ROOT, run, step } from './lib/workspace.mjs';

const jest = () => path.join(REPO_ROOT, 'node_modules', '.bin', 'jest');
let kafkaStartedHere = false;
// Suites may start the Kafka Connect worker (real Debezium); one that was not running before is stopped after.
let debeziumWasRunning = true;

async function jestProject(project, extraArgs, env) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-jest-')), 'report.json');
  try {
    await run(jest(), ['--config', 'jest.config.js', '--selectProjects', project, '--json', '--outputFile', report, ...extraArgs], { env });
  } catch {
    // The report below says what failed; a crash without a report is counted as one failure.
  }
  if (!fs.existsSync(report)) return { passed: 0, failed: 1 };
  const result = JSON.parse(fs.readFileSync(report, 'utf8'));
  const failedSuites = result.numRuntimeErrorTestSuites ?? 0;
  return { passed: result.numPassedTests, failed: result.numFailedTests + failedSuites };
}

async function main() {
  const started = Date.now();
  await ensureNodeModules();
  // The tests' own broker (folder and ports): the suites' topics never reach `npm start`'s apps.
  // Set in this process's env, so Debezium's worker, which the suites start, follows it too.
  Object.assign(process.env, testKafkaEnv());
  const kafka = await startKafka({ log: step });
  kafkaStartedHere = !kafka.reused;
  step('type checking');
  await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  step('checking dependency rules (apps → libs, pure identity engine)');
  await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'depcruise'), ['apps', 'libs', 'tools', '--config', '.dependency-cruiser.js']);
  await build();
  const databaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  await migrate(databaseUrl);

  debeziumWasRunning = (await debeziumStatus({ log: () => undefined })).running;
  const env = { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafka.brokers, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  // A pattern (`npm test -- concurrency`) may match suites of one project only: the other one then has
  // none to run, which is no failure; a pattern that matches nothing at all still fails (passed is 0).
  const args = process.argv.length > 2 ? ['--passWithNoTests', ...process.argv.slice(2)] : [];
  step('unit tests');
  const unit = await jestProject('unit', args, env);
  step('end-to-end tests (real Kafka and PostgreSQL)');
  const e2e = await jestProject('e2e', ['--runInBand', ...args], env);

  const passed = unit.passed + e2e.passed;
  const failed = unit.failed + e2e.failed;
  step(`unit ${unit.passed} passed, ${unit.failed} failed; e2e ${e2e.passed} passed, ${e2e.failed} failed; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  if (passed + failed === 0) process.stderr.write(`npm test: no test matched ${JSON.stringify(process.argv.slice(2).join(' '))}\n`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`npm test: ${error.message}\n`);
} finally {
  if (!debeziumWasRunning) await stopDebezium({ log: () => undefined }).catch(() => undefined);
  if (kafkaStartedHere) await stopKafka({ log: step }).catch(() => undefined);
}
process.exit(code);
