#!/usr/bin/env node
// `npm run stop` stops the local Kafka broker; `npm run wipe` also deletes its data and drops the
// tandem and tandem_test databases' contents by recreating them on the next start.
import { stopKafka, wipeKafka } from './kafka.mjs';
import { step } from './lib/workspace.mjs';

try {
  if (process.argv.includes('--wipe')) await wipeKafka({ log: step });
  else await stopKafka({ log: step });
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
