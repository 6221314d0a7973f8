import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { customerEventKey } from '@tandem/contracts';
import { createKafka, EventProducer, OutgoingMessage } from '@tandem/messaging';
import { connectDatabase, DEFAULT_DATABASE_URL } from '@tandem/persistence';
import { CustomerBase, generateCustomerBase } from '@tandem/sandbox';
import { mapCrmContact } from '../crm/crm-contact.mapper';
import { createErpConsumer, decodeErpMessage } from '../erp/erp-connector.service';
import { TRACE } from '../erp/erp-trace';
import { ErpConfig } from '../erp/erp.config';
import { cpuBetween, CpuSample, CpuUsed, machineLoad, sampleCpu } from './machine';

const APPLICATION_NAME = 'tandem-bench-connectors';

/**
 * `npm run bench:connectors [-- --records N --runs R]`: pushes sandbox records through each
 * connector path into Kafka and prints events/s per connector, the median of R runs.
 *
 * - erp: Debezium envelopes (the sandbox's ERP customers and orders, in Debezium's JSON) are first
 *   written to bench change topics; then the ERP connector's own consumer (decode, map, PostgreSQL
 *   state and aggregates in one transaction per batch, produce, commit) runs over them from the
 *   start, each run as a new source and consumer group. Measured from its first batch to its last.
 * - crm: the CRM connector's mapping of sandbox contacts and the acknowledged produce, in pages
 *   of 100 as the connector writes them (the HTTP pull from the CRM is not in it).
 * - kafka ceiling: the same producer writing the same number of ready-made messages.
 * Every topic is a throw-away bench topic (deleted afterwards); the ingest topic is never touched.
 * TANDEM_ERP_TRACE=1 prints where the ERP batches spend their time (ms per phase, summed);
 * ERP_CONCURRENCY and ERP_BATCH_SIZE tune the consumer as in the app.
 */
async function main(argv: string[]): Promise<void> {
  const records = Number(flag(argv, 'records') ?? 100_000);
  const runs = Number(flag(argv, 'runs') ?? 5);
  const only = flag(argv, 'only');
  if (only !== undefined && only !== 'erp' && only !== 'crm') throw new Error('--only must be erp or crm');
  if (!Number.isInteger(records) || records < 1000 || !Number.isInteger(runs) || runs < 1) throw new Error('--records must be ≥ 1000 and --runs ≥ 1');
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const logger = pino({ level: 'warn' });
  const kafka = createKafka({ brokers, clientId: 'tandem-bench' }, logger);
  const producer = new EventProducer(kafka, brokers);
  await producer.connect(30_000);
  const db = await connectDatabase({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, timeoutMs: 30_000, applicationName: APPLICATION_NAME });
  const tag = `bench-${Date.now().toString(36)}`;
  const topics = { customers: `${tag}.public.customers`, orders: `${tag}.public.orders`, ingest: `${tag}.ingest` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [topics.customers, topics.orders, topics.ingest].map((topic) => ({ topic, numPartitions: topic === topics.ingest ? 6 : 3, replicationFactor: 1 })),
  });
  try {
    const base = sandboxFor(records);
    const envelopes = erpEnvelopes(base, records);
    out(`sandbox: ${envelopes.customers.length} ERP customers + ${envelopes.orders.length} orders = ${envelopes.customers.length + envelopes.orders.length} change events; ${base.crmContacts.length} CRM contacts; ${runs} runs each`);

    const ceiling: number[] = [];
    const erp: { events: number; perSecond: number; changesPerSecond: number }[] = [];
    const crm: number[] = [];
    const mapping: number[] = [];
    // Loading the change topics is itself the raw-produce measurement (the ceiling).
    const loaded = await timed(() => produceAll(producer, [[topics.customers, envelopes.customers], [topics.orders, envelopes.orders]]));
    ceiling.push((envelopes.customers.length + envelopes.orders.length) / loaded.seconds);
    out(`machine before: ${machineLoad()}`);
    for (let run = 1; run <= runs; run++) {
      if (only !== 'crm') {
        const result = await benchErp(kafka, producer, logger, db, topics, `${tag}-${run}`, envelopes.customers.length + envelopes.orders.length);
        erp.push(result);
        out(`run ${run}: erp ${fmt(result.perSecond)} events/s (${fmt(result.changesPerSecond)} change events/s in, ${result.events} events); ${cpuLine(result.cpu, result.events)}`);
        mapping.push(benchErpMapping([...envelopes.customers, ...envelopes.orders]));
        if (TRACE) out(JSON.stringify(Object.fromEntries(Object.entries(TRACE).map(([k, v]) => [k, Math.round(v)]))));
      }
      if (only !== 'erp') {
        const before = sampleCpu();
        const crmRate = await benchCrm(producer, base, topics.ingest, `${tag}-crm${run}`);
        crm.push(crmRate);
        out(`run ${run}: crm ${fmt(crmRate)} events/s; ${cpuLine(cpuBetween(before, sampleCpu()), base.crmContacts.length)}`);
      }
    }
    out(`machine after: ${machineLoad()}`);
    out('');
    out(`connector   events/s (median of ${runs})   target 20,000`);
    if (erp.length) {
      out(`erp         ${fmt(median(erp.map((r) => r.perSecond))).padStart(10)}   (${fmt(median(erp.map((r) => r.changesPerSecond)))} Debezium change events/s consumed)`);
      out(`erp (CPU)   ${fmt(median(mapping)).padStart(10)}   (decode + validate + map only, no PostgreSQL, no Kafka)`);
    }
    if (crm.length) out(`crm         ${fmt(median(crm)).padStart(10)}   (mapping + acknowledged produce, pages of 100)`);
    out(`kafka       ${fmt(median(ceiling)).padStart(10)}   (same producer, ready-made messages, measured once while loading: the ceiling)`);
  } finally {
    await db.query(`DELETE FROM erp_orders WHERE source LIKE $1`, [`${tag}%`]).catch(() => undefined);
    await db.query(`DELETE FROM erp_customers WHERE source LIKE $1`, [`${tag}%`]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topics.customers, topics.orders, topics.ingest] }).catch(() => undefined);
    await admin.disconnect();
    await producer.disconnect();
    await db.destroy();
  }
}

/** One run of the real ERP consumer over the loaded change topics, from the beginning. */
async function benchErp(kafka: Kafka, producer: EventProducer, logger: pino.Logger, db: DataSource, topics: Record<string, string>, source: string, expected: number) {
  const defaults = new ErpConfig();
  let handled = 0;
  let events = 0;
  let first = 0;
  let last = 0;
  let cpuAtFirst: CpuSample | null = null;
  const backends = await backendPids(db);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const consumer = createErpConsumer(kafka, producer, logger, db, {
    source,
    topics: [topics.customers, topics.orders],
    groupId: `${source}-${randomUUID().slice(0, 8)}`,
    currencyAliases: {},
    batchSize: Number(process.env.ERP_BATCH_SIZE ?? defaults.ERP_BATCH_SIZE),
    concurrency: Number(process.env.ERP_CONCURRENCY ?? defaults.ERP_CONCURRENCY),
    stepSize: Number(process.env.ERP_STEP_SIZE ?? defaults.ERP_STEP_SIZE),
    ingestTopic: topics.ingest,
    // The clock starts when the first change reaches the connector, as for one already running
    // (joining the consumer group is not part of it), and stops when the last one is committed.
    onChunk: () => {
      if (first) return;
      first = Date.now();
      cpuAtFirst = sampleCpu(backends);
    },
    onBatch: (count, produced) => {
      handled += count;
      events += produced.length;
      last = Date.now();
      if (handled >= expected) resolveDone();
    },
  });
  consumer.start();
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`erp bench: only ${handled} of ${expected} handled after 10 min`)), 600_000))]);
  const cpu = cpuBetween(cpuAtFirst!, sampleCpu([...backends, ...(await backendPids(db))]));
  await consumer.stop();
  // Every change here is an insert: one customer.upserted per customer, one order.placed per order.
  if (events !== expected) throw new Error(`erp bench: ${events} events for ${expected} changes; every insert should say exactly one`);
  const seconds = Math.max(0.001, (last - first) / 1000);
  return { events, perSecond: events / seconds, changesPerSecond: handled / seconds, cpu };
}

/** The PostgreSQL backends of this process's pool, to count their CPU time. */
async function backendPids(db: DataSource): Promise<number[]> {
  const rows: { pid: number }[] = await db.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [APPLICATION_NAME]);
  return rows.map((r) => r.pid);
}

/** The ERP connector's CPU part alone: JSON, envelope checks, mapping, contract validation. */
function benchErpMapping(messages: OutgoingMessage[]): number {
  const buffers = messages.map((m) => ({ value: Buffer.from(m.value as string) }));
  const started = process.hrtime.bigint();
  let ok = 0;
  for (const message of buffers) if (decodeErpMessage(message, { source: 'bench', currencyAliases: {} }).ok) ok++;
  return ok / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** The CRM connector's mapping and produce path, pages of 100 like the connector's. */
async function benchCrm(producer: EventProducer, base: CustomerBase, topic: string, source: string): Promise<number> {
  const { seconds, value: count } = await timed(async () => {
    let produced = 0;
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < base.crmContacts.length; i += 100) {
      const messages: OutgoingMessage[] = [];
      for (const contact of base.crmContacts.slice(i, i + 100)) {
        const mapped = mapCrmContact(source, contact);
        if (mapped.ok) messages.push({ key: customerEventKey(source, mapped.value.sourceRecordId), value: JSON.stringify(mapped.value) });
      }
      produced += messages.length;
      // The connector awaits each page before the next (checkpoint after ack); a few in flight here.
      pending.push(producer.send(topic, messages));
      if (pending.length >= 4) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    return produced;
  });
  return count / seconds;
}

function sandboxFor(records: number): CustomerBase {
  // About 2.8 ERP change events per person (0.8 customers, 2 orders each on average).
  return generateCustomerBase({ people: Math.ceil(records / 2.8), seed: 42 });
}

/** The sandbox's ERP rows as Debezium would write them: one insert each, LSNs in commit order. */
function erpEnvelopes(base: CustomerBase, limit: number): { customers: OutgoingMessage[]; orders: OutgoingMessage[] } {
  let lsn = 1_000_000;
  const customers: OutgoingMessage[] = [];
  const orders: OutgoingMessage[] = [];
  const ordersOf = new Map<number, CustomerBase['erpOrders']>();
  for (const order of base.erpOrders) ordersOf.set(order.customer_id, [...(ordersOf.get(order.customer_id) ?? []), order]);
  const envelope = (table: string, row: object, at: string) => {
    lsn += 56;
    const ts = Date.parse(at);
    return JSON.stringify({ before: null, after: row, source: { version: '3.5.0.Final', connector: 'postgresql', name: 'erp', ts_ms: ts, snapshot: 'false', db: 'erp', schema: 'public', table, txId: lsn, lsn }, op: 'c', ts_ms: ts + 250 });
  };
  for (const customer of base.erpCustomers) {
    if (customers.length + orders.length >= limit) break;
    customers.push({ key: JSON.stringify({ id: customer.id }), value: envelope('customers', customer, customer.updated_at) });
    for (const order of ordersOf.get(customer.id) ?? []) {
      orders.push({ key: JSON.stringify({ id: order.id }), value: envelope('orders', { ...order, total: order.total.toFixed(2) }, order.placed_at) });
    }
  }
  return { customers, orders };
}

async function produceAll(producer: EventProducer, batches: [string, OutgoingMessage[]][]): Promise<void> {
  for (const [topic, messages] of batches) {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += 1000) {
      pending.push(producer.send(topic, messages.slice(i, i + 1000)));
      if (pending.length >= 4) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** CPU milliseconds per 1,000 events, by process, over one measured run. */
function cpuLine(cpu: CpuUsed, events: number): string {
  const per = (seconds: number) => ((seconds * 1e6) / events).toFixed(0);
  return `CPU ms per 1k events: connector ${per(cpu.connector)}, postgres ${per(cpu.postgres)}, kafka ${per(cpu.kafka)}, machine ${per(cpu.machine)}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function flag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:connectors: ${error.message}\n`);
    process.exit(1);
  },
);
