#!/usr/bin/env node
// `npm run stop` stops the local Kafka broker, and `npm test`'s own broker if one was left running
// (a test run killed before it could stop it); `npm run wipe` also deletes both brokers' data.
import { stopKafka, testKafkaOptions, wipeKafka } from './kafka.mjs';
import { step } from './lib/workspace.mjs';

try {
  const wipe = process.argv.includes('--wipe');
  if (wipe) await wipeKafka({ log: step });
  else await stopKafka({ log: step });
  const tests = { ...testKafkaOptions(), log: (line) => step(`tests' broker: ${line}`) };
  if (wipe) await wipeKafka(tests);
  else {
    const stopped = await stopKafka({ ...tests, log: () => undefined });
    if (stopped.stopped) step(`tests' broker stopped (pid ${stopped.pid})`);
  }
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
