import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Presets, SingleBar } from 'cli-progress';
import { Admin, CompressionTypes, Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { customerEventId, customerEventKey, CustomerEventV1 } from '@tandem/contracts';
import { freePort } from '@tandem/observability';
import { cpuPerEvent, machineLoad, residentMemory, sampleCpu, type CpuSample } from './cpu';
import { describeQuality, resolvedQuality } from './quality';
import { SOURCES, syntheticEvents } from './stream';

/**
 * `npm run bench:pipeline [-- --events N --instances K --latency-seconds S --raw N --updates U]`
 *
 * 1. What the hardware allows: raw produce and consume rate of the broker, raw batched insert rate of PostgreSQL.
 * 2. Sustained rate: N synthetic customer events (seeded generator, three sources) are put on a fresh
 *    6-partition topic (with --updates U, that share of them are new versions of records sent before in
 *    the run, changing only what the matcher does not compare: see withUpdates), then K identity instances resolve them into profiles; events/s from the first
 *    event consumed to the last offset committed.
 * 3. Latency: new events at a fixed 2,000/s; event-to-profile latency is the time from the producer's
 *    send to the profile change carrying that record arriving on the change topic (outbox relay included).
 * Runs against its own database (tandem_bench, recreated) and its own topics (deleted after).
 */

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The seed of the sustained run's stream (a saved population was made with it too). */
const STREAM_SEED = 42;

interface Options {
  events: number;
  instances: number;
  latencySeconds: number;
  rate: number;
  raw: number;
  batch: number;
  /** Events of the stream already resolved in the database the run starts from (see scripts/bench-pipeline.mjs). */
  population: number;
  /** Share (0 to below 1) of the sustained run's events that are new versions of records sent before in it. */
  updates: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { events: 1_000_000, instances: 1, latencySeconds: 30, rate: 2000, raw: 200_000, batch: 2000, population: 0, updates: 0 };
  const names: Record<string, keyof Options> = {
    '--events': 'events',
    '--instances': 'instances',
    '--latency-seconds': 'latencySeconds',
    '--rate': 'rate',
    '--raw': 'raw',
    '--batch': 'batch',
    '--population': 'population',
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--updates') {
      const share = Number(argv[i + 1]);
      if (!(share >= 0 && share < 1)) {
        process.stderr.write(`bench:pipeline: --updates takes the share of events that are updates, from 0 to below 1 (got "${argv[i + 1] ?? ''}")\n`);
        process.exit(2);
      }
      o.updates = share;
      i++;
      continue;
    }
    const key = names[argv[i]];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 0) {
      process.stderr.write(`bench:pipeline: unknown option or bad value near "${argv[i]}" (use --events N --instances K --latency-seconds S --rate R --raw N --batch N --population P --updates U)\n`);
      process.exit(2);
    }
    o[key] = value;
    i++;
  }
  return o;
}


function rate(n: number, ms: number): number {
  return Math.round((n / Math.max(1, ms)) * 1000);
}

async function topicLag(admin: Admin, group: string, topic: string): Promise<{ committed: number; end: number }> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const committed = offsets.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  return { committed, end: ends.reduce((s, e) => s + Number(e.high), 0) };
}

async function produceAll(producer: Producer, topic: string, events: Iterable<CustomerEventV1>, batch: number, onSent?: (n: number) => void): Promise<number> {
  let buffer: { key: string; value: string }[] = [];
  let sent = 0;
  const inFlight: Promise<unknown>[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const messages = buffer;
    buffer = [];
    inFlight.push(producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages }));
    if (inFlight.length >= 4) await inFlight.shift();
    sent += messages.length;
    onSent?.(sent);
  };
  for (const e of events) {
    buffer.push({ key: customerEventKey(e.source, e.sourceRecordId), value: JSON.stringify(e) });
    if (buffer.length >= batch) await flush();
  }
  await flush();
  await Promise.all(inFlight);
  return sent;
}


const LOCALES = ['en-GB', 'de-DE', 'fr-FR', 'nl-NL'];

/**
 * `count` events of which about `share` are new versions of records sent before among them (a record
 * picked uniformly, seeded), the rest new records from `fresh`. An update repeats the record's
 * attributes and identifiers and changes only what the matcher does not compare, as most of a
 * retailer's events do: every other one an ERP-style aggregate change (locale and order aggregates), the
 * rest an email unsubscribe (consent only). With share 0 this is `fresh` itself.
 */
function* withUpdates(fresh: Iterator<CustomerEventV1>, count: number, share: number, offset: number): Generator<CustomerEventV1> {
  if (share === 0) {
    for (let i = 0; i < count; i++) {
      const next = fresh.next();
      if (next.done) return;
      yield next.value;
    }
    return;
  }
  const sent: CustomerEventV1[] = [];
  let seed = 20_261_204;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  for (let i = 0; i < count; i++) {
    if (sent.length > 0 && random() < share) {
      const at = Math.floor(random() * sent.length);
      const before = sent[at];
      const version = before.recordVersion + 1;
      const occurredAt = new Date(1_763_800_000_000 + (offset + i) * 1000).toISOString();
      const update: CustomerEventV1 = {
        ...before,
        eventId: customerEventId(before.source, before.sourceRecordId, version),
        recordVersion: version,
        occurredAt,
        consents: undefined,
        personalization: undefined,
      } as CustomerEventV1;
      if (version % 2 === 0) {
        update.kind = 'customer.upserted';
        update.attributes = { ...before.attributes, locale: LOCALES[version % LOCALES.length] };
        update.personalization = { lastOrderAt: occurredAt, orderCount: version - 1, lifetimeValue: 25 * (version - 1), currency: 'EUR' } as CustomerEventV1['personalization'];
      } else {
        update.kind = 'email.unsubscribed';
      }
      sent[at] = update;
      yield update;
      continue;
    }
    const next = fresh.next();
    if (next.done) return;
    sent.push(next.value);
    yield next.value;
  }
}

/**
 * PostgreSQL's raw batched insert: `total` rows shaped like source_records (jsonb identifiers and
 * attributes, a primary key and a unique index) in statements of `batch`, over `sessions` sessions at
 * once, into a table made for it and dropped after. Rows per second.
 */
async function rawInsertRate(db: Client, url: string, events: CustomerEventV1[], total: number, batch: number, sessions: number): Promise<number> {
  await db.query(`DROP TABLE IF EXISTS bench_insert`);
  await db.query(`CREATE TABLE bench_insert (LIKE source_records INCLUDING DEFAULTS)`);
  await db.query(`ALTER TABLE bench_insert ADD PRIMARY KEY (id)`);
  await db.query(`CREATE UNIQUE INDEX ON bench_insert (source, source_record_id)`);
  const clients = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const share = Math.ceil(total / sessions);
  const t = Date.now();
  try {
    await Promise.all(
      clients.map(async (c, k) => {
        const from = k * share;
        const to = Math.min(total, from + share);
        for (let i = from; i < to; i += batch) {
          const rows = Array.from({ length: Math.min(batch, to - i) }, (_, j) => events[(i + j) % events.length]);
          await c.query(
            `INSERT INTO bench_insert (source, source_record_id, record_version, last_event_id, kind, identifiers, attributes, occurred_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])`,
            [
              rows.map((e) => e.source),
              rows.map((_, j) => `r${i + j}`),
              rows.map(() => '1'),
              rows.map((e) => e.eventId),
              rows.map((e) => e.kind),
              rows.map((e) => JSON.stringify(e.identifiers)),
              rows.map((e) => JSON.stringify(e.attributes)),
              rows.map((e) => e.occurredAt),
            ],
          );
        }
      }),
    );
    return rate(total, Date.now() - t);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await db.query(`DROP TABLE bench_insert`);
  }
}

interface RowWrites {
  inserted: number;
  updated: number;
  deleted: number;
}

/**
 * Rows inserted, updated and deleted in the database's tables so far (PostgreSQL's statistics). A
 * session reports its counts when it goes idle, at most once a second, so this reads until two reads a
 * second and a half apart agree (up to 15 s).
 */
async function rowWrites(db: Client): Promise<RowWrites> {
  const read = async (): Promise<RowWrites> =>
    (
      await db.query(
        `SELECT COALESCE(sum(n_tup_ins), 0)::float8 AS inserted, COALESCE(sum(n_tup_upd), 0)::float8 AS updated, COALESCE(sum(n_tup_del), 0)::float8 AS deleted FROM pg_stat_user_tables`,
      )
    ).rows[0] as RowWrites;
  let last = await read();
  for (let i = 0; i < 10; i++) {
    await sleep(1500);
    const next = await read();
    if (next.inserted === last.inserted && next.updated === last.updated && next.deleted === last.deleted) return next;
    last = next;
  }
  return last;
}

/** Where the first identity instance's time went during the sustained run, per event (from its /metrics). */
async function phaseBreakdown(port: number, events: number): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const phases: Array<[string, number]> = [];
    for (const line of text.split('\n')) {
      const m = /^identity_resolver_phase_seconds\{phase="([^"]+)"[^}]*\} ([0-9.e+-]+)$/.exec(line);
      if (m) phases.push([m[1], Number(m[2])]);
    }
    phases.sort((a, b) => b[1] - a[1]);
    const list = (wanted: (phase: string) => boolean) =>
      phases
        .filter(([p]) => wanted(p))
        .map(([p, s]) => `${p.replace(/^pg-cpu /, '')} ${((s * 1e6) / events).toFixed(1)}`)
        .join(', ');
    const databaseCpu = list((p) => p.startsWith('pg-cpu'));
    const work: string[] = [];
    for (const line of text.split('\n')) {
      const m = /^identity_resolver_planner_work_total\{kind="([^"]+)"[^}]*\} ([0-9.e+-]+)$/.exec(line);
      if (m) work.push(`${m[1]} ${(Number(m[2]) / events).toFixed(1)}`);
    }
    const counts = work.join(', ');
    return (
      `resolver wall time per event, µs (instance 1; "write" includes its sql; a statement counts until this process takes its answer): ${list((p) => !p.startsWith('pg-cpu'))}` +
      (counts ? `\nplanner per event (records searched, index postings visited, candidates, pairs scored, records kept in place): ${counts}` : '') +
      (databaseCpu ? `\nPostgreSQL CPU per event by statement, µs : ${databaseCpu}` : '')
    );
  } catch (error) {
    return `resolver phases: not available (${(error as Error).message})`;
  }
}

function startIdentity(env: Record<string, string>): ChildProcess {
  // BENCH_IDENTITY_NODE_ARGS: extra node flags for the identity instances, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  // The young generation npm start gives the identity app (scripts/lib/services.mjs).
  const nodeArgs = ['--max-semi-space-size=256', ...(process.env.BENCH_IDENTITY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
  // BENCH_IDENTITY_MAIN: another build's identity main.js (to alternate builds in one run of the lock).
  const main = process.env.BENCH_IDENTITY_MAIN ?? path.join(ROOT, 'dist', 'apps', 'identity', 'src', 'main.js');
  // BENCH_IDENTITY_OUTPUT=FILE: the instances' standard output appended to FILE (e.g. with --trace-gc
  // in BENCH_IDENTITY_NODE_ARGS, their collections with timestamps); otherwise dropped.
  const output = process.env.BENCH_IDENTITY_OUTPUT ? openSync(process.env.BENCH_IDENTITY_OUTPUT, 'a') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', output, 'inherit'],
  });
  if (typeof output === 'number') closeSync(output);
  return child;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tandem_bench';
  const stamp = Date.now().toString(36);
  const topic = `tandem.bench.customer-event.${stamp}`;
  const rawTopic = `tandem.bench.raw.${stamp}`;
  const profileTopic = `tandem.bench.profiles.${stamp}`;
  const kafka = new Kafka({ brokers, clientId: 'bench-pipeline', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const children: ChildProcess[] = [];
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await admin.deleteTopics({ topics: [topic, rawTopic, profileTopic] }).catch(() => undefined);
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  // However the benchmark ends, its identity instances end with it (left running, one went on consuming
  // the next run's CPU and held its port).
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  db.on('error', (error) => {
    out(`bench:pipeline: lost its PostgreSQL connection (${error.message}); stopping`);
    void cleanup().then(() => process.exit(1));
  });
  try {
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 6 },
        { topic: rawTopic, numPartitions: 6 },
        { topic: profileTopic, numPartitions: 6, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
      waitForLeaders: true,
    });
    const updates = o.updates ? `, ${Math.round(o.updates * 100)}% of them new versions of records sent before in the run (locale and order aggregates, or an email unsubscribe: nothing the matcher compares)` : ', every one a new record';
    out(`bench:pipeline — ${o.events} events${o.population ? ` (${o.population + 1} to ${o.population + o.events} of the stream, onto the population of the first ${o.population})` : ''}${updates}, ${o.instances} identity instance(s), latency at ${o.rate}/s for ${o.latencySeconds} s; database ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`);

    // 1. Hardware: raw broker produce/consume, raw PostgreSQL batched insert.
    const sample = [...syntheticEvents(Math.min(o.raw, 20000), 7)].map((e) => JSON.stringify(e));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    let t = Date.now();
    const rawMessages = function* () {
      for (let i = 0; i < o.raw; i++) yield { key: `k${i}`, value: sample[i % sample.length] };
    };
    {
      let buffer: { key: string; value: string }[] = [];
      const pending: Promise<unknown>[] = [];
      for (const m of rawMessages()) {
        buffer.push(m);
        if (buffer.length === o.batch) {
          pending.push(producer.send({ topic: rawTopic, acks: -1, messages: buffer }));
          buffer = [];
          if (pending.length >= 4) await pending.shift();
        }
      }
      if (buffer.length) pending.push(producer.send({ topic: rawTopic, acks: -1, messages: buffer }));
      await Promise.all(pending);
    }
    const rawProduce = rate(o.raw, Date.now() - t);
    const rawConsumer = kafka.consumer({ groupId: `bench-raw-${stamp}`, maxBytes: 50 * 1024 * 1024 });
    await rawConsumer.connect();
    await rawConsumer.subscribe({ topic: rawTopic, fromBeginning: true });
    let consumed = 0;
    let firstAt = 0;
    const done = new Promise<void>((resolve) => {
      void rawConsumer.run({
        eachBatch: async ({ batch }) => {
          if (!firstAt) firstAt = Date.now();
          consumed += batch.messages.length;
          if (consumed >= o.raw) resolve();
        },
      });
    });
    await done;
    const rawConsume = rate(o.raw, Date.now() - firstAt);
    await rawConsumer.disconnect();

    const parsed = sample.map((s) => JSON.parse(s) as CustomerEventV1);
    const rawInsert = await rawInsertRate(db, databaseUrl, parsed, o.raw, o.batch, 1);
    // Both cores: two sessions inserting at once (the pipeline has its writer and the relay's reads, and
    // the identity process's work beside them; one session leaves a core to the client's turns).
    const rawInsertBoth = await rawInsertRate(db, databaseUrl, parsed, o.raw, o.batch, 2);
    out(`hardware: broker produce ${rawProduce} msg/s, consume ${rawConsume} msg/s (${o.raw} messages of ~${Math.round(sample[0].length)} B, acks=all); PostgreSQL batched insert ${rawInsert} rows/s on one session, ${rawInsertBoth} on two at once (${o.batch} per statement, source_records' columns, a primary key and a unique index)`);

    // 2. Sustained: preload N events, then resolve them.
    const bar = new SingleBar({ format: '{phase} [{bar}] {value}/{total} {rate}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 10000, stream: process.stderr }, Presets.shades_classic);
    bar.start(o.events, 0, { phase: 'produce', rate: '' });
    t = Date.now();
    await produceAll(producer, topic, withUpdates(syntheticEvents(o.events, STREAM_SEED, 0, o.population), o.events, o.updates, o.population), o.batch, (n) => bar.update(n, { phase: 'produce', rate: '' }));
    bar.stop();
    out(`produced ${o.events} synthetic events in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const group = `bench-identity-${stamp}`;
    const env = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      IDENTITY_CONSUMER_GROUP: group,
      IDENTITY_INGEST_TOPIC: topic,
      IDENTITY_PROFILE_TOPIC: profileTopic,
      IDENTITY_BATCH_SIZE: String(o.batch),
      // BENCH_DATABASE_CPU=on: PostgreSQL CPU per statement too (two /proc reads per statement).
      IDENTITY_MEASURE_DATABASE_CPU: process.env.BENCH_DATABASE_CPU === 'on' ? 'on' : 'off',
    };
    const writesBefore = await rowWrites(db);
    const started = Date.now();
    // Ports the system gives out now (a fixed one could be held by any program, or by a client
    // socket: 39100 was inside this machine's ephemeral range, 32768-60999).
    const ports: number[] = [];
    for (let i = 0; i < o.instances; i++) ports.push(await freePort());
    for (let i = 0; i < o.instances; i++) children.push(startIdentity({ ...env, IDENTITY_PORT: String(ports[i]), IDENTITY_OUTBOX_RELAY: i === 0 ? 'on' : 'off' }));
    bar.start(o.events, 0, { phase: 'resolve', rate: '' });
    let firstCommit = 0;
    let firstCount = 0;
    let cpuAtFirst: CpuSample | undefined;
    // The instances' resident memory once the population is loaded (the first commit) and at the end.
    let memoryAtFirst: { rss: number; peak: number } | undefined;
    const roles = async () => ({
      identity: children.map((c) => c.pid as number),
      // Of which their main threads (the resolving thread; not the relay's or the ingest worker's).
      'identity main thread': { mainThreads: children.map((c) => c.pid as number) },
      // The instances' own PostgreSQL sessions (the benchmark's are not counted).
      postgres: (await db.query(`SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'tandem-identity%'`)).rows.map((r: { pid: number }) => r.pid),
      kafka: 'kafka' as const,
    });
    out(`machine before the run: ${machineLoad()}`);
    const cpuAtStart = sampleCpu(await roles());
    for (;;) {
      await sleep(1000);
      const lag = await topicLag(admin, group, topic);
      if (!firstCommit && lag.committed > 0) {
        firstCommit = Date.now();
        firstCount = lag.committed;
        cpuAtFirst = sampleCpu(await roles());
        memoryAtFirst = residentMemory(children.map((c) => c.pid as number));
      }
      bar.update(lag.committed, { phase: 'resolve', rate: firstCommit ? `${rate(lag.committed - firstCount, Date.now() - firstCommit)}/s` : '' });
      if (lag.committed >= lag.end) break;
      if (children.some((c) => c.exitCode !== null)) throw new Error('an identity instance exited during the benchmark');
    }
    bar.stop();
    const finished = Date.now();
    // A run so small that the first poll found every event committed has no steady stretch: its
    // rate and CPU are taken from start-up (loading included), and said so, rather than 0/0.
    const steady = o.events - firstCount > 0;
    const measured = steady ? o.events - firstCount : o.events;
    const sustained = steady ? rate(measured, finished - firstCommit) : rate(measured, finished - started);
    out(`${cpuPerEvent(steady && cpuAtFirst ? cpuAtFirst : cpuAtStart, sampleCpu(await roles()), measured)}; machine after: ${machineLoad()}`);
    const memoryAtEnd = residentMemory(children.map((c) => c.pid as number));
    out(`identity resident memory: ${memoryAtFirst ? `${memoryAtFirst.rss} MB at the first commit, ` : ''}${memoryAtEnd.rss} MB at the end (peak ${memoryAtEnd.peak} MB)`);
    out(await phaseBreakdown(ports[0], measured));
    const stats = (await db.query(`SELECT (SELECT count(*) FROM source_records)::int AS records, (SELECT count(*) FROM profiles WHERE status = 'active')::int AS profiles`)).rows[0];
    const how = steady ? 'events/s steady (first commit to last)' : 'events/s from start-up (every event was committed by the first poll: too few events for a steady rate)';
    out(
      `sustained: ${o.events} events resolved in ${((finished - started) / 1000).toFixed(1)} s from start-up, ${sustained} ${how} → ${stats.records} records in ${stats.profiles} profiles`,
    );

    // Quality at this scale, and the review queue's load, against the generator's people (before the latency phase adds others).
    out(describeQuality(await resolvedQuality(db, SOURCES, o.population + o.events, STREAM_SEED)));

    // What the pipeline asks of PostgreSQL in the unit the raw insert was measured in: rows written.
    const writesAfter = await rowWrites(db);
    const written = {
      inserted: (writesAfter.inserted - writesBefore.inserted) / o.events,
      updated: (writesAfter.updated - writesBefore.updated) / o.events,
      deleted: (writesAfter.deleted - writesBefore.deleted) / o.events,
    };
    const perEvent = written.inserted + written.updated + written.deleted;
    const rowRate = Math.round(sustained * perEvent);
    const ceiling = Math.round(rawInsertBoth / perEvent);
    out(
      `PostgreSQL row writes per event: ${perEvent.toFixed(2)} (inserted ${written.inserted.toFixed(2)}, updated ${written.updated.toFixed(2)}, deleted ${written.deleted.toFixed(2)}); ` +
        `at ${sustained} events/s that is ${rowRate} rows/s = ${((rowRate / rawInsert) * 100).toFixed(0)}% of the raw insert on one session, ${((rowRate / rawInsertBoth) * 100).toFixed(0)}% on two; ` +
        `raw inserts on both cores, with nothing else running, would carry at most ${ceiling} events/s of these writes`,
    );

    // 3. Latency at a fixed rate: send time → the record's profile on the change topic (--latency-seconds 0 skips it).
    if (o.latencySeconds > 0) {
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      // Send time → the change's produce time (the relay's client stamps it): the part before the broker and this process's consumer.
      const toRelay: number[] = [];
      // Latency by when the event was sent (5-second windows): where in the phase the tail comes from.
      const windows = new Map<number, number[]>();
      let t0 = 0;
      const changes = kafka.consumer({ groupId: `bench-changes-${stamp}` });
      await changes.connect();
      await changes.subscribe({ topic: profileTopic, fromBeginning: false });
      let assigned = false;
      changes.on(changes.events.GROUP_JOIN, () => (assigned = true));
      await changes.run({
        eachMessage: async ({ message }) => {
          if (!message.value) return;
          const now = Date.now();
          const change = JSON.parse(message.value.toString()) as { golden?: { sourceRecords?: Array<{ source: string; sourceRecordId: string }> } };
          for (const r of change.golden?.sourceRecords ?? []) {
            const key = `${r.source}:${r.sourceRecordId}`;
            const at = sentAt.get(key);
            if (at !== undefined) {
              latencies.push(now - at);
              toRelay.push(Number(message.timestamp) - at);
              const w = Math.floor((at - t0) / 5000);
              const list = windows.get(w);
              if (list) list.push(now - at);
              else windows.set(w, [now - at]);
              sentAt.delete(key);
            }
          }
        },
      });
      while (!assigned) await sleep(100);
      await sleep(2000);
      const total = o.rate * o.latencySeconds;
      const fresh = syntheticEvents(total, 4242, o.population + o.events);
      const tick = 100;
      const perTick = Math.max(1, Math.round((o.rate * tick) / 1000));
      t0 = Date.now();
      let sent = 0;
      bar.start(total, 0, { phase: `at ${o.rate}/s`, rate: '' });
      while (sent < total) {
        const messages: { key: string; value: string }[] = [];
        for (let i = 0; i < perTick && sent + messages.length < total; i++) {
          const { value: e, done: end } = fresh.next();
          if (end) break;
          messages.push({ key: customerEventKey(e.source, e.sourceRecordId), value: JSON.stringify(e) });
          sentAt.set(`${e.source}:${e.sourceRecordId}`, Date.now());
        }
        if (messages.length === 0) break;
        await producer.send({ topic, acks: -1, messages });
        sent += messages.length;
        bar.update(sent, { phase: `at ${o.rate}/s`, rate: '' });
        const wait = t0 + (sent / o.rate) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
      }
      bar.stop();
      const achieved = rate(sent, Date.now() - t0);
      const deadline = Date.now() + 30000;
      while (sentAt.size > 0 && Date.now() < deadline) await sleep(200);
      await changes.disconnect();
      latencies.sort((a, b) => a - b);
      toRelay.sort((a, b) => a - b);
      const pctOf = (list: number[], p: number) => (list.length ? list[Math.min(list.length - 1, Math.floor((p / 100) * list.length))] : NaN);
      const pct = (p: number) => pctOf(latencies, p);
      out(
        `latency at ${achieved} events/s offered (${sent} new events): event → profile on the change topic p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies[latencies.length - 1]} ms; ${sentAt.size} not seen within 30 s`,
      );
      const byWindow = [...windows.entries()].sort((x, y) => x[0] - y[0]).map(([w, list]) => {
        list.sort((a, b) => a - b);
        return `${w * 5}s ${pctOf(list, 50)}/${pctOf(list, 99)}/${list[list.length - 1]}`;
      });
      out(`latency by 5 s window of sending (p50/p99/max ms): ${byWindow.join(', ')}`);
      out(`of which send → the relay producing the change (its timestamp): p50 ${pctOf(toRelay, 50)} ms, p99 ${pctOf(toRelay, 99)} ms (the rest is the broker and this process's own consumer)`);
    } else {
      out('latency: not measured (--latency-seconds 0)');
    }
    await producer.disconnect();

    out(
      `summary: pipeline ${sustained} events/s = ${((sustained / rawConsume) * 100).toFixed(1)}% of raw consume, ${((sustained / rawProduce) * 100).toFixed(1)}% of raw produce, ${((rowRate / rawInsertBoth) * 100).toFixed(0)}% of raw PostgreSQL insert on both cores in rows written (PostgreSQL alone allows at most ${ceiling} events/s); targets ≥ 10000 events/s sustained, p99 < 1000 ms at 2000/s`,
    );
  } finally {
    await cleanup();
    await admin.disconnect();
    await db.end();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:pipeline: ${error.message}\n`);
    process.exit(1);
  },
);
