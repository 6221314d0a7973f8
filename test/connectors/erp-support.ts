import { spawn } from 'node:child_process';
import path from 'node:path';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { CustomerEventV1, TOPICS } from '@tandem/contracts';
import { REPO_ROOT } from '../support/services';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function kafkaClient(clientId: string): Kafka {
  return new Kafka({ brokers, clientId, logLevel: logLevel.NOTHING });
}

/**
 * Commits a new consumer group at the current end of `topics`, so a service started with it reads
 * only what comes next: no backlog of other suites' traffic to chew through first.
 */
export async function groupAtEnd(kafka: Kafka, groupId: string, topics: string[]): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
    }
  } finally {
    await admin.disconnect();
  }
  return groupId;
}

/**
 * Collects the canonical events of one source from the ingest topic, starting at its current end:
 * the group's offsets are set to the end before it joins, so nothing produced later is missed and
 * nothing older (other suites' traffic) is read.
 */
export class IngestTail {
  readonly events: CustomerEventV1[] = [];
  private consumer?: Consumer;

  constructor(private readonly kafka: Kafka, private readonly source: string) {}

  async start(): Promise<void> {
    const groupId = await groupAtEnd(this.kafka, `e2e-tail-${this.source}-${Date.now().toString(36)}`, [TOPICS.customerEvents]);
    this.consumer = this.kafka.consumer({ groupId, sessionTimeout: 10000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: TOPICS.customerEvents });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString().startsWith(`${this.source}:`) && message.value) this.events.push(JSON.parse(message.value.toString()));
      },
    });
  }

  of(recordId: string): CustomerEventV1[] {
    return this.events.filter((e) => e.sourceRecordId === recordId).sort((a, b) => a.recordVersion - b.recordVersion);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/**
 * `node scripts/debezium.mjs start` (fetches jars on first use, reuses a running worker). Resolves
 * with whether it reused one, so a suite stops only the worker it started.
 */
export async function startDebezium(timeoutMs = 300_000): Promise<{ reused: boolean }> {
  const output = await debeziumScript('start', timeoutMs);
  return { reused: output.includes('Debezium already running') };
}

export async function stopDebezium(): Promise<void> {
  await debeziumScript('stop', 60_000);
}

function debeziumScript(command: 'start' | 'stop', timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'debezium.mjs'), command], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`scripts/debezium.mjs ${command} failed (exit ${code}):\n${output}`));
    });
  });
}

/**
 * A change event in the exact shape Debezium 3.5's PostgreSQL connector writes with the JSON
 * converter and schemas.enable=false (recorded from scripts/debezium.mjs, values replaced).
 */
export function debeziumEnvelope(table: 'customers' | 'orders', op: 'c' | 'u' | 'd' | 'r', row: Record<string, unknown>, lsn: number, tsMs = 1_795_382_942_343): Record<string, unknown> {
  return {
    before: op === 'd' ? row : null,
    after: op === 'd' ? null : row,
    source: {
      version: '3.5.0.Final',
      connector: 'postgresql',
      name: 'erp',
      ts_ms: tsMs,
      snapshot: op === 'r' ? 'true' : 'false',
      db: 'tandem_erp_test',
      sequence: `[null,"${lsn}"]`,
      ts_us: tsMs * 1000,
      ts_ns: tsMs * 1_000_000,
      schema: 'public',
      table,
      txId: 749,
      lsn,
      xmin: null,
      origin: null,
      origin_lsn: null,
    },
    transaction: null,
    op,
    ts_ms: tsMs + 300,
    ts_us: (tsMs + 300) * 1000,
    ts_ns: (tsMs + 300) * 1_000_000,
  };
}
