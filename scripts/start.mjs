#!/usr/bin/env node
// `npm start`: installs what is missing, starts Kafka, prepares the database, builds and starts
// the three apps, and prints where each listens. Ctrl-C stops everything it started.
import path from 'node:path';
import { startKafka, stopKafka } from './kafka.mjs';
import { SERVICES, spawnService, stopProcess, waitUntilReady } from './lib/services.mjs';
import { build, DEFAULT_DATABASE_URL, ensureNodeModules, migrate, REPO_ROOT, step } from './lib/workspace.mjs';

const children = [];
let kafkaStartedHere = false;
let shuttingDown = false;

async function main() {
  await ensureNodeModules();
  const kafka = await startKafka({ log: step });
  kafkaStartedHere = !kafka.reused;
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  await build();
  await migrate(databaseUrl);

  const host = process.env.HOST ?? '127.0.0.1';
  const env = { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? kafka.brokers, HOST: host };
  // The API forwards IT's connector routes to the connectors app: on the port that app was given here.
  const connectors = SERVICES.find((service) => service.name === 'connectors');
  env.API_CONNECTORS_URL ??= `http://${host}:${Number(process.env[connectors.portSetting] ?? connectors.port)}`;
  const logDir = path.join(REPO_ROOT, '.run', 'logs');
  const started = SERVICES.map((service) => {
    const port = Number(process.env[service.portSetting] ?? service.port);
    const child = spawnService(service, env, path.join(logDir, `${service.name}.log`));
    children.push(child);
    child.on('exit', (code, signal) => {
      if (!shuttingDown) {
        process.stderr.write(`tandem ${service.name} stopped unexpectedly (${signal ?? `exit ${code}`}): ${child.lastError()}\n`);
        void shutdown(1);
      }
    });
    return { service, child, url: `http://${host}:${port}` };
  });
  step('starting api, connectors and identity');
  await Promise.all(
    started.map(({ service, child, url }) =>
      waitUntilReady(child, url, 90_000).catch((error) => {
        throw new Error(`${service.name}: ${error.message}`);
      }),
    ),
  );
  process.stdout.write('\nTandem is running:\n');
  for (const { service, url } of started) {
    process.stdout.write(`  ${service.name.padEnd(11)} ${url}   (health ${url}/health/ready, metrics ${url}/metrics)\n`);
  }
  process.stdout.write(`  kafka       ${kafka.brokers}\n  postgres    ${databaseUrl.replace(/\/\/[^@]*@/, '//')}\n`);
  process.stdout.write(`  logs        ${path.relative(process.cwd(), logDir) || '.'}/<app>.log (JSON lines)\n\nPress Ctrl-C to stop.\n`);
}

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  step('stopping apps');
  await Promise.all(children.map((child) => stopProcess(child)));
  if (kafkaStartedHere) await stopKafka({ log: step }).catch(() => undefined);
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch(async (error) => {
  process.stderr.write(`npm start: ${error.message}\n`);
  await shutdown(1);
});
