import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createKafka, EventProducer, OutgoingMessage } from '@tandem/messaging';
import { Metrics } from '@tandem/observability';
import { connectDatabase, DEFAULT_DATABASE_URL } from '@tandem/persistence';
import { CrmSimulator, CustomerBase, generateCustomerBase, MarketingListSimulator } from '@tandem/sandbox';
import { ConnectorsConfig } from '../connectors.config';
import { CrmConnector } from '../crm/crm-connector.service';
import { HubSpotCrmClient } from '../crm/hubspot-crm.client';
import { createErpConsumer, decodeErpMessage } from '../erp/erp-connector.service';
import { TRACE } from '../erp/erp-trace';
import { ErpConfig } from '../erp/erp.config';
import { MailchimpMembersClient } from '../marketing/mailchimp-members.client';
import { MarketingMembersPull } from '../marketing/marketing-members-pull.service';
import { SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { brokerMeasured, cpuBetween, CpuSample, CpuUsed, machineLoad, sampleCpu } from './machine';
import { benchBareHttp, benchPush, CeilingResult, LoadGenerator, marketingRequests, PushResult, RunningApp, segmentRequests, serveBareHttp, serveConnectorsApp, startBareHttp, startConnectorsApp } from './push-connectors';

/** Unmeasured passes of the marketing webhooks before the runs (see where it is used). */
const MARKETING_WARM_UP_PASSES = 3;

const APPLICATION_NAME = 'tandem-bench-connectors';

interface Topics {
  customers: string;
  orders: string;
  ingest: string;
  deadLetters: string;
}

interface RunResult {
  events: number;
  perSecond: number;
  cpu: CpuUsed;
}

/** The simulated members API's key in the bench (loopback only). */
const BENCH_MARKETING_KEY = 'bench-marketing-key-us1';

/**
 * `npm run bench:connectors [-- --records N --runs R --only erp|crm|marketing-pull|marketing|segment
 * --crm-page-size P --marketing-page-size M --connections C --segment-batch B --load-generator sockets|autocannon]`: pushes sandbox records through each
 * connector, end to end, into Kafka and prints events/s per connector, the median of R runs, with
 * the CPU each process used per 1,000 events and the load.
 *
 * - erp: Debezium envelopes (the sandbox's ERP customers and orders, in Debezium's JSON) are first
 *   written to bench change topics; then the ERP connector's own consumer (decode, map, PostgreSQL
 *   state in one transaction per batch, produce, commit after Kafka's acknowledgement) runs over
 *   them from the start, each run as a new source and consumer group. Timed from the first change
 *   the connector receives to the last one committed.
 * - crm: the CRM connector itself (`CrmConnector.pull`) against the sandbox's simulated HubSpot
 *   API running in its own process: HTTP pages of P contacts (default CRM_PAGE_SIZE, HubSpot's
 *   limit of 100), mapping, acknowledged produce, checkpoints in PostgreSQL; each run a new source
 *   pulling every contact from the beginning. Timed from the first call until the last checkpoint.
 * - marketing-pull: a marketing resync (`MarketingMembersPull.step`) over the sandbox's marketing
 *   list behind the simulated Mailchimp members API in its own process: pages of M members (default
 *   MARKETING_PAGE_SIZE, Mailchimp's limit of 1,000), mapping, acknowledged produce, checkpoints in
 *   PostgreSQL; each run a new connector resynced from the beginning. Timed from the claim of the
 *   resync until the checkpoint that ends it. The simulator's CPU is shown apart.
 * - marketing, segment: the real connectors app (ConnectorsModule through bootstrapService, as
 *   `npm start` runs it, its output topics the bench's) in a process of its own; a keep-alive
 *   client in this process (http-load.ts, or autocannon with --load-generator autocannon) sends it the sandbox's marketing list over C keep-alive connections (default 16): as
 *   Mailchimp does, one signed form-encoded webhook per subscriber per request to
 *   /v1/webhooks/marketing; and the same people as Segment identify calls, B per /v1/batch request
 *   (default 100, within Segment's 500 KB), write key as Basic auth. Every answer comes after Kafka
 *   acknowledged; the events are counted on the topic. Timed from the first request to the last
 *   answer, after unmeasured warm-up passes (three for marketing); the load generator's CPU is shown apart.
 * - kafka ceiling: the same producer writing ready-made messages (the ERP change topics' loading).
 * Every topic is a throw-away bench topic (deleted afterwards); the ingest topic is never touched.
 * TANDEM_ERP_TRACE=1 prints where the ERP transactions spend their time (ms per phase, summed);
 * BENCH_CPU_PROFILE=DIR writes a V8 CPU profile of each measured run to DIR (the data set's
 * loading left out, unlike `node --cpu-prof`), BENCH_ALLOC_PROFILE=DIR a sampling allocation profile;
 * ERP_BATCH_SIZE, ERP_CONCURRENCY and ERP_STEP_SIZE tune the consumer as in the app.
 */
async function main(argv: string[]): Promise<void> {
  if (argv.includes('--serve-crm')) return serveCrm(Number(flag(argv, 'people')), Number(flag(argv, 'page-size')));
  if (argv.includes('--serve-marketing')) return serveMarketing(Number(flag(argv, 'people')), Number(flag(argv, 'page-size')));
  if (argv.includes('--serve-http')) return new Promise(() => serveConnectorsApp());
  if (argv.includes('--serve-bare-http')) return new Promise(() => serveBareHttp(Number(flag(argv, 'serve-bare-http'))));
  const records = Number(flag(argv, 'records') ?? 100_000);
  const runs = Number(flag(argv, 'runs') ?? 5);
  const only = flag(argv, 'only');
  const crmPageSize = Number(flag(argv, 'crm-page-size') ?? new ConnectorsConfig().CRM_PAGE_SIZE);
  const marketingPageSize = Number(flag(argv, 'marketing-page-size') ?? new ConnectorsConfig().MARKETING_PAGE_SIZE);
  const connections = Number(flag(argv, 'connections') ?? 16);
  const generator = (flag(argv, 'load-generator') ?? 'sockets') as LoadGenerator;
  if (generator !== 'sockets' && generator !== 'autocannon') throw new Error('--load-generator must be sockets or autocannon');
  const segmentBatch = Number(flag(argv, 'segment-batch') ?? 100);
  if (only !== undefined && !['erp', 'crm', 'marketing-pull', 'marketing', 'segment'].includes(only)) throw new Error('--only must be erp, crm, marketing-pull, marketing or segment');
  if (!Number.isInteger(marketingPageSize) || marketingPageSize < 1 || marketingPageSize > 1000) throw new Error('--marketing-page-size must be 1 to 1000');
  if (!Number.isInteger(connections) || connections < 1 || connections > 1000) throw new Error('--connections must be 1 to 1000');
  if (!Number.isInteger(segmentBatch) || segmentBatch < 1 || segmentBatch > 1000) throw new Error('--segment-batch must be 1 to 1000');
  const wants = (connector: string) => only === undefined || only === connector;
  if (!Number.isInteger(records) || records < 1000 || !Number.isInteger(runs) || runs < 1) throw new Error('--records must be ≥ 1000 and --runs ≥ 1');
  if (!Number.isInteger(crmPageSize) || crmPageSize < 1 || crmPageSize > 10_000) throw new Error('--crm-page-size must be 1 to 10000');
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const logger = pino({ level: 'warn' });
  const kafka = createKafka({ brokers, clientId: 'tandem-bench' }, logger);
  const producer = new EventProducer(kafka, brokers);
  await producer.connect(30_000);
  const db = await connectDatabase({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, timeoutMs: 30_000, applicationName: APPLICATION_NAME });
  const tag = `bench-${Date.now().toString(36)}`;
  const topics: Topics = { customers: `${tag}.public.customers`, orders: `${tag}.public.orders`, ingest: `${tag}.ingest`, deadLetters: `${tag}.dead-letters` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: topic === topics.ingest ? 6 : 3, replicationFactor: 1 })),
  });
  const people = Math.ceil(records / 2.8);
  let crmServer: SimulatorProcess | null = null;
  let marketingServer: SimulatorProcess | null = null;
  let app: RunningApp | null = null;
  try {
    // The data set lives only while the change topics are loaded: the connectors then run in a heap
    // like the app's, not one holding the benchmark's 100,000 records (which made every garbage
    // collection dearer and was counted as the connector's CPU).
    const { changes, contacts, subscribers, ceiling, mapping } = await loadErpTopics(producer, topics, people, records);
    const erpSettings = new ErpConfig();
    out(`sandbox: ${changes.customers} ERP customers + ${changes.orders} orders = ${changes.total} change events; ${contacts} CRM contacts; ${subscribers.length} marketing subscribers; ${runs} runs each`);
    out(`erp: ERP_BATCH_SIZE ${process.env.ERP_BATCH_SIZE ?? erpSettings.ERP_BATCH_SIZE}, ERP_CONCURRENCY ${process.env.ERP_CONCURRENCY ?? erpSettings.ERP_CONCURRENCY}, ERP_STEP_SIZE ${process.env.ERP_STEP_SIZE ?? erpSettings.ERP_STEP_SIZE}; crm: pages of ${crmPageSize}; marketing-pull: pages of ${marketingPageSize}; marketing and segment: ${connections} keep-alive connections (load generator: ${generator}), segment batches of ${segmentBatch}`);

    const erp: (RunResult & { changesPerSecond: number })[] = [];
    const crm: (RunResult & { deadLettered: number })[] = [];
    const marketingPull: (RunResult & { deadLettered: number })[] = [];
    const marketing: PushResult[] = [];
    const segment: PushResult[] = [];
    if (wants('crm')) crmServer = await startSimulator('--serve-crm', people, crmPageSize);
    if (wants('marketing-pull')) marketingServer = await startSimulator('--serve-marketing', people, marketingPageSize);
    const pushTopics = { events: topics.ingest, deadLetters: topics.deadLetters };
    if (wants('marketing') || wants('segment')) app = await startConnectorsApp(pushTopics, { marketing: `${tag}-marketing`, segment: `${tag}-segment` });
    const webhooks = subscribers.length;
    const batches = Math.ceil(subscribers.length / segmentBatch);
    // One pass before the runs, unmeasured: the app's code is warm, as in one that has been running.
    // Marketing's is three runs' worth of webhooks: after 1,000 the app's and the broker's CPU per
    // event still fell run by run (broker 114 -> 56 ms per 1,000 over three runs; the app's by a
    // third), and after one whole run, in a full bench (the other connectors' runs in between), the
    // broker's still went 200, 133, 48, 30, 31 ms per 1,000 over the five runs: its JIT compiling the
    // path of many small Produce requests. A broker that has been running is past that.
    for (let pass = 0; app && wants('marketing') && pass < MARKETING_WARM_UP_PASSES; pass++) {
      await benchPush(app, admin, db, pushTopics, marketingRequests(subscribers, webhooks + 2 * connections), webhooks, connections, 1, generator);
    }
    if (app && wants('segment')) await benchPush(app, admin, db, pushTopics, segmentRequests(subscribers, 20 + 2 * connections, segmentBatch, `${tag}-warm`), 20, connections, segmentBatch, generator);
    out(`machine before: ${machineLoad()}`);
    if (!brokerMeasured()) out('broker CPU not measured: BENCH_KAFKA_PID does not name the broker (npm run bench:connectors sets it)');
    for (let run = 1; run <= runs; run++) {
      if (wants('erp')) {
        const result = await profiled(`erp-${run}`, () => benchErp(kafka, producer, logger, db, topics, `${tag}-${run}`, changes.total));
        await removeErpState(db, `${tag}-${run}`);
        erp.push(result);
        out(`run ${run}: erp ${fmt(result.perSecond)} events/s (${fmt(result.changesPerSecond)} change events/s in, ${result.events} events); ${cpuLine(result.cpu, result.events)}`);
        if (TRACE) out(JSON.stringify(Object.fromEntries(Object.entries(TRACE).map(([k, v]) => [k, Math.round(v)]))));
      }
      if (crmServer) {
        const result = await profiled(`crm-${run}`, () => benchCrm(db, producer, logger, topics, crmServer!, crmPageSize, `${tag}-crm${run}`, contacts));
        crm.push(result);
        out(`run ${run}: crm ${fmt(result.perSecond)} events/s (${result.events} events, ${result.deadLettered} dead-lettered); ${cpuLine(result.cpu, result.events)}, CRM simulator ${perThousand(result.cpu.children, result.events)}`);
      }
      if (marketingServer) {
        const result = await profiled(`marketing-pull-${run}`, () => benchMarketingPull(db, producer, logger, topics, marketingServer!, marketingPageSize, `${tag}-mpull${run}`, subscribers.length));
        marketingPull.push(result);
        out(`run ${run}: marketing-pull ${fmt(result.perSecond)} events/s (${result.events} events, ${result.deadLettered} dead-lettered); ${cpuLine(result.cpu, result.events)}, members API simulator ${perThousand(result.cpu.children, result.events)}`);
      }
      if (app && wants('marketing')) {
        const result = await benchPush(app, admin, db, pushTopics, marketingRequests(subscribers, webhooks + 2 * connections), webhooks, connections, 1, generator);
        marketing.push(result);
        out(`run ${run}: marketing ${fmt(result.perSecond)} events/s (${result.requests} webhooks, p99 ${result.p99} ms); ${pushCpuLine(result)}`);
      }
      if (app && wants('segment')) {
        const result = await benchPush(app, admin, db, pushTopics, segmentRequests(subscribers, batches + 2 * connections, segmentBatch, `${tag}-${run}`), batches, connections, segmentBatch, generator);
        segment.push(result);
        out(`run ${run}: segment ${fmt(result.perSecond)} events/s (${result.requests} batches of ${segmentBatch}, p99 ${result.p99} ms); ${pushCpuLine(result)}`);
      }
    }
    // What one HTTP request per event costs without any of the connector: the same webhooks, the
    // same generator and connections, a bare node:http server (after the runs, as many times).
    const httpCeiling: CeilingResult[] = [];
    if (app && wants('marketing') && generator === 'sockets') {
      const bare = await startBareHttp();
      try {
        await benchBareHttp(bare, marketingRequests(subscribers, webhooks), webhooks, connections);
        for (let run = 1; run <= runs; run++) {
          const result = await benchBareHttp(bare, marketingRequests(subscribers, webhooks), webhooks, connections);
          httpCeiling.push(result);
          out(`run ${run}: bare HTTP ${fmt(result.perSecond)} requests/s (the same ${webhooks} webhooks, p99 ${result.p99} ms); CPU ms per 1k requests: server ${perThousand(result.server, webhooks)}, load generator ${perThousand(result.loadGenerator, webhooks)}`);
        }
      } finally {
        await bare.stop();
      }
    }
    out(`machine after: ${machineLoad()}`);
    out('');
    out(`connector   events/s (median of ${runs})   target 20,000      CPU ms per 1k events (median): connector / its PostgreSQL sessions / broker / machine`);
    const cpuMedians = (results: RunResult[]) => (['connector', 'postgres', 'kafka', 'machine'] as const).map((k) => medianPerThousand(results, (r) => r.cpu[k])).join(' / ');
    if (erp.length) {
      out(`erp         ${fmt(median(erp.map((r) => r.perSecond))).padStart(10)}                            ${cpuMedians(erp)}   (${fmt(median(erp.map((r) => r.changesPerSecond)))} Debezium change events/s consumed)`);
      out(`erp (CPU)   ${fmt(mapping).padStart(10)}   (decode + validate + map only, no PostgreSQL, no Kafka)`);
    }
    if (crm.length) out(`crm         ${fmt(median(crm.map((r) => r.perSecond))).padStart(10)}                            ${cpuMedians(crm)}   (HTTP pull in pages of ${crmPageSize}, mapping, acknowledged produce, checkpoints)`);
    if (marketingPull.length) {
      out(`marketing-pull ${fmt(median(marketingPull.map((r) => r.perSecond))).padStart(7)}                            ${cpuMedians(marketingPull)}   (resync: members API pull in pages of ${marketingPageSize}, mapping, acknowledged produce, checkpoints; simulator ${medianPerThousand(marketingPull, (r) => r.cpu.children)} ms)`);
    }
    const pushLine = (name: string, results: PushResult[], how: string) =>
      out(`${name.padEnd(12)}${fmt(median(results.map((r) => r.perSecond))).padStart(10)}                            ${cpuMedians(results)}   (${how}; load generator ${medianPerThousand(results, (r) => r.cpu.loadGenerator)} ms, p99 ${median(results.map((r) => r.p99))} ms${perProduceRequest(results)})`);
    if (marketing.length) pushLine('marketing', marketing, `one signed form-encoded webhook per request, ${connections} keep-alive connections`);
    if (segment.length) pushLine('segment', segment, `/v1/batch of ${segmentBatch} identify calls per request, ${connections} keep-alive connections`);
    out(`kafka       ${fmt(ceiling).padStart(10)}   (same producer, ready-made messages, measured once while loading: the ceiling)`);
    if (httpCeiling.length) {
      const cpu = (pick: (r: CeilingResult) => number) => perThousand(median(httpCeiling.map(pick)), webhooks);
      out(`bare HTTP   ${fmt(median(httpCeiling.map((r) => r.perSecond))).padStart(10)}   (node:http reading the same webhooks and answering 200, no framework, signature or Kafka: the ceiling of one request per event here; server ${cpu((r) => r.server)} ms, load generator ${cpu((r) => r.loadGenerator)} ms per 1k, p99 ${median(httpCeiling.map((r) => r.p99))} ms)`);
      if (marketing.length) {
        // The machine's CPU bounds the webhooks whatever the connector does: what the bare exchange, the
        // load generator and the broker (at the marketing runs' webhooks per Produce request) spend per webhook,
        // against every core the machine has.
        const floor = Number(cpu((r) => r.server)) + Number(cpu((r) => r.loadGenerator)) + Number(medianPerThousand(marketing, (r) => r.cpu.kafka));
        const cores = availableParallelism();
        out(`webhook bound ${fmt((cores * 1_000_000) / floor).padStart(8)}   (${cores} cores' ${cores * 1000} ms of CPU a second / ${floor} ms per 1k webhooks for the bare exchange, load generator and broker alone: a connector adding nothing to node's HTTP, with its sender and broker on this machine)`);
      }
    }
  } finally {
    crmServer?.stop();
    marketingServer?.stop();
    await app?.stop();
    await removeErpState(db, `${tag}%`).catch(() => undefined);
    await db.query(`DELETE FROM connectors WHERE name LIKE $1`, [`${tag}%`]).catch(() => undefined);
    await db.query(`VACUUM connectors`).catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await producer.disconnect();
    await db.destroy();
  }
}

/**
 * Writes the sandbox's ERP rows to the bench change topics, Debezium style; that load is the
 * producer's ceiling (ready-made messages). Also times the ERP mapping alone on them.
 */
async function loadErpTopics(producer: EventProducer, topics: Topics, people: number, records: number) {
  const base = sandboxFor(people);
  const envelopes = erpEnvelopes(base, records);
  const loaded = await timed(() => produceAll(producer, [[topics.customers, envelopes.customers], [topics.orders, envelopes.orders]]));
  const total = envelopes.customers.length + envelopes.orders.length;
  return {
    changes: { customers: envelopes.customers.length, orders: envelopes.orders.length, total },
    contacts: base.crmContacts.length,
    subscribers: base.subscribers,
    ceiling: total / loaded.seconds,
    mapping: benchErpMapping([...envelopes.customers, ...envelopes.orders]),
  };
}

/** One run of the real ERP consumer over the loaded change topics, from the beginning. */
async function benchErp(kafka: Kafka, producer: EventProducer, logger: pino.Logger, db: DataSource, topics: Topics, source: string, expected: number) {
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

/**
 * Removes a run's ERP state, and its dead rows too: autovacuum may be off (it is on the shared
 * development server), and every later run would otherwise work through the garbage of the ones
 * before (2.9 GB of it had piled up in erp_customers and erp_orders, slowing PostgreSQL's part).
 */
async function removeErpState(db: DataSource, sourcePattern: string): Promise<void> {
  await db.query(`DELETE FROM erp_orders WHERE source LIKE $1`, [sourcePattern]);
  await db.query(`DELETE FROM erp_customers WHERE source LIKE $1`, [sourcePattern]);
  await db.query(`VACUUM erp_customers, erp_orders`);
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

/**
 * One run of the CRM connector over the simulated CRM, every contact from the beginning, as a new
 * source registered like the app registers it.
 */
async function benchCrm(db: DataSource, producer: EventProducer, logger: pino.Logger, topics: Topics, server: SimulatorProcess, pageSize: number, source: string, contacts: number): Promise<RunResult & { deadLettered: number }> {
  const registry = new ConnectorRegistry(db);
  await registry.register(source, 'crm', { endpoint: server.url, pageSize });
  const config = Object.assign(new ConnectorsConfig(), { CRM_SOURCE: source, CRM_PAGE_SIZE: pageSize });
  const output = new SourceOutput(producer, new Metrics('tandem-bench'), { events: topics.ingest, deadLetters: topics.deadLetters });
  const connector = new CrmConnector(new HubSpotCrmClient(server.url, null), registry, output, config, logger);
  const backends = await backendPids(db);
  const before = sampleCpu(backends, [server.pid]);
  const started = process.hrtime.bigint();
  while ((await connector.pull()) === 'more');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuBetween(before, sampleCpu([...backends, ...(await backendPids(db))], [server.pid]));
  const status = await registry.require(source);
  // Every contact is an event or a dead letter, once: the checkpoints' counts say so.
  if (status.eventsTotal + status.deadLetteredTotal !== contacts) throw new Error(`crm bench: ${status.eventsTotal} events + ${status.deadLetteredTotal} dead letters for ${contacts} contacts`);
  return { events: status.eventsTotal, deadLettered: status.deadLetteredTotal, perSecond: status.eventsTotal / seconds, cpu };
}

/**
 * One marketing resync over the simulated members API, every member from the beginning, as a new
 * connector registered like the app's webhook route registers it.
 */
async function benchMarketingPull(db: DataSource, producer: EventProducer, logger: pino.Logger, topics: Topics, server: SimulatorProcess, pageSize: number, source: string, members: number): Promise<RunResult & { deadLettered: number }> {
  const registry = new ConnectorRegistry(db);
  await registry.register(source, 'marketing-webhooks', { source });
  await registry.requestResync(source, null);
  const config = Object.assign(new ConnectorsConfig(), { MARKETING_SOURCE: source, MARKETING_PAGE_SIZE: pageSize });
  const output = new SourceOutput(producer, new Metrics('tandem-bench'), { events: topics.ingest, deadLetters: topics.deadLetters });
  const pull = new MarketingMembersPull(new MailchimpMembersClient(server.url, BENCH_MARKETING_KEY, BENCH_LIST_ID), registry, output, config, logger);
  const backends = await backendPids(db);
  const before = sampleCpu(backends, [server.pid]);
  const started = process.hrtime.bigint();
  while ((await pull.step()) === 'more');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuBetween(before, sampleCpu([...backends, ...(await backendPids(db))], [server.pid]));
  const status = await registry.require(source);
  // Every member is an event or a dead letter, once, and the resync has ended.
  if (!status.resync.finishedAt || status.eventsTotal + status.deadLetteredTotal !== members) {
    throw new Error(`marketing-pull bench: ${status.eventsTotal} events + ${status.deadLetteredTotal} dead letters for ${members} members, resync ${status.resync.finishedAt ? 'ended' : 'not ended'}`);
  }
  return { events: status.eventsTotal, deadLettered: status.deadLetteredTotal, perSecond: status.eventsTotal / seconds, cpu };
}

const BENCH_LIST_ID = 'a1b2c3d4e5';

interface SimulatorProcess {
  url: string;
  pid: number;
  stop(): void;
}

/**
 * A simulated source (`--serve-crm`, `--serve-marketing`) in a process of its own, as a real one is
 * another system: its CPU (answering pages) is not the connector's and is reported apart.
 */
async function startSimulator(mode: '--serve-crm' | '--serve-marketing', people: number, pageSize: number): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(process.execPath, [__filename, mode, '--people', String(people), '--page-size', String(pageSize)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator (${mode}) exited (${code}) before listening`)));
  });
  return { url: JSON.parse(line).url, pid: child.pid!, stop: () => child.stdin?.end() };
}

/** Child mode: the same sandbox's marketing list behind the simulated members API, until stdin closes. */
async function serveMarketing(people: number, pageSize: number): Promise<void> {
  const list = new MarketingListSimulator({ apiKey: BENCH_MARKETING_KEY, listId: BENCH_LIST_ID, maxPageSize: pageSize });
  // A member a second, as a list built up over time (the webhooks' fired_at).
  const start = Date.parse('2026-06-01T00:00:00Z');
  list.seed(sandboxFor(people).subscribers, (i) => new Date(start + i * 1000));
  const url = await list.start(0);
  out(JSON.stringify({ url }));
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  await list.stop();
}

/** Child mode: the same sandbox's CRM contacts behind the simulated HubSpot API, until stdin closes. */
async function serveCrm(people: number, pageSize: number): Promise<void> {
  const crm = new CrmSimulator({ contacts: sandboxFor(people).crmContacts, maxPageSize: pageSize });
  const url = await crm.start(0);
  out(JSON.stringify({ url }));
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).on('close', resolve).resume();
  });
  await crm.stop();
}

// About 2.8 ERP change events per person (0.8 customers, 2 orders each on average).
function sandboxFor(people: number): CustomerBase {
  return generateCustomerBase({ people, seed: 42 });
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

/**
 * Runs `work` under the V8 profiler when BENCH_CPU_PROFILE names a directory, writing
 * `<name>.cpuprofile` there; BENCH_ALLOC_PROFILE=DIR likewise writes `<name>.heapprofile`, a
 * sampling profile of every allocation (the collected ones too): what the garbage collector works on.
 */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  const cpuDir = process.env.BENCH_CPU_PROFILE;
  const allocDir = process.env.BENCH_ALLOC_PROFILE;
  if (!cpuDir && !allocDir) return work();
  const session = new Session();
  session.connect();
  if (cpuDir) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    await session.post('Profiler.start');
  }
  if (allocDir) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  }
  try {
    return await work();
  } finally {
    if (cpuDir) writeProfile(cpuDir, `${name}.cpuprofile`, (await session.post('Profiler.stop')).profile);
    if (allocDir) writeProfile(allocDir, `${name}.heapprofile`, (await session.post('HeapProfiler.stopSampling')).profile);
    session.disconnect();
  }
}

function writeProfile(dir: string, file: string, profile: unknown): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), JSON.stringify(profile));
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** The same for a pushed run: the connector is the app's process, the load generator this one. */
function perProduceRequest(results: PushResult[]): string {
  const known = results.flatMap((r) => (r.perProduceRequest ? [r.perProduceRequest] : []));
  return known.length ? `, ${median(known).toFixed(1)} events per Produce request` : '';
}

function pushCpuLine(result: PushResult): string {
  const perRequest = result.perProduceRequest ? `, ${result.perProduceRequest.toFixed(1)} events per Produce request` : '';
  return `${cpuLine(result.cpu, result.events)}, load generator ${perThousand(result.cpu.loadGenerator, result.events)}${perRequest}`;
}

/** CPU milliseconds per 1,000 events, by process, over one measured run. */
function cpuLine(cpu: CpuUsed, events: number): string {
  return `CPU ms per 1k events: connector ${perThousand(cpu.connector, events)}, its PostgreSQL sessions ${perThousand(cpu.postgres, events)}, broker ${perThousand(cpu.kafka, events)}, machine ${perThousand(cpu.machine, events)}`;
}

/** The median over runs of CPU milliseconds per 1,000 events. */
function medianPerThousand<R extends { events: number }>(results: R[], seconds: (result: R) => number): string {
  return median(results.map((r) => (seconds(r) * 1e6) / r.events)).toFixed(0);
}

function perThousand(seconds: number, events: number): string {
  return ((seconds * 1e6) / events).toFixed(0);
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
