// Worker thread body of the outbox relay (see OutboxRelay): the relay's reads, message building and
// produce requests run here, off the thread that resolves. Tells the parent what it published and
// what failed (messages without personal data); stops when told to.
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';
import { createKafka, EventProducer } from '@tandem/messaging';
import { RelayLoop, type RelaySettings } from './relay-loop';

export interface RelayWorkerData extends RelaySettings {
  brokers: string[];
  clientId: string;
  startupTimeoutMs: number;
}

/** What the worker tells its parent. */
export type RelayWorkerReport = { published: number } | { log: 'warn' | 'error'; message: string; fields?: Record<string, unknown> };

const data = workerData as RelayWorkerData;
const port = parentPort;
if (!port) throw new Error('relay-worker runs as a worker thread');
const report = (r: RelayWorkerReport) => port.postMessage(r);

// kafkajs' own log lines (warn and above) go to the parent's logger.
const logger = {
  error: (fields: Record<string, unknown>, message: string) => report({ log: 'error', message, fields }),
  warn: (fields: Record<string, unknown>, message: string) => report({ log: 'warn', message, fields }),
  debug: () => undefined,
  info: () => undefined,
} as unknown as Logger;

async function main(): Promise<void> {
  const kafka = createKafka({ brokers: data.brokers, clientId: data.clientId }, logger);
  const producer = new EventProducer(kafka, data.brokers);
  await producer.connect(data.startupTimeoutMs);
  const loop = new RelayLoop(data, producer, {
    published: (rows) => report({ published: rows }),
    failed: (message) => report({ log: 'warn', message: `outbox relay failed; retrying: ${message}` }),
  });
  port!.on('message', (m: unknown) => {
    if (m === 'stop') loop.stop();
  });
  await loop.run();
  await producer.disconnect();
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    report({ log: 'error', message: `outbox relay stopped: ${error.message}` });
    process.exit(1);
  },
);
