import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector';
import path from 'node:path';
import { Admin } from 'kafkajs';
import { DataSource } from 'typeorm';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { bootstrapService, freePort } from '@tandem/observability';
import { encodeMarketingWebhook, MarketingSubscriber, marketingWebhooks } from '@tandem/sandbox';
import { CONNECTORS_SERVICE } from '../connectors.service';
import { ConnectorsModule } from '../connectors.module';
import { OUTPUT_TOPICS, OutputTopics } from '../pipeline/source-output.service';
import { SEGMENT_MAX_BATCH_BYTES } from '../segment/segment.controller';
import { LoadRequest, LoadResult, prepareLoad, sendLoad } from './http-load';
import { cpuBetween, CpuUsed, sampleCpu } from './machine';

/** `sockets`: the benchmark's own keep-alive client (http-load.ts); `autocannon`: as before. */
export type LoadGenerator = 'sockets' | 'autocannon';

// autocannon ships no types; this is the part of its API the benchmark uses.
interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  '2xx': number;
}
// The run is a promise of its result and an emitter of each response.
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult> & { on(event: 'response', listener: () => void): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const SECRET = 'tandem-bench-marketing-secret';
const WRITE_KEY = 'tandemBenchWriteKey';
/** The application_name of the app's PostgreSQL pool (connectors.module.ts): how its sessions are found. */
const APP_SESSION_NAME = 'tandem-connectors';

/** The connectors app, built as `npm start` runs it, in a process of its own. */
export interface RunningApp {
  url: string;
  pid: number;
  stop: () => Promise<void>;
  /** The connectors app only: Produce requests it has built so far, and the messages in them. */
  produceStats?: () => Promise<ProduceStats>;
}

export interface ProduceStats {
  requests: number;
  messages: number;
}

export interface PushResult {
  events: number;
  requests: number;
  perSecond: number;
  p99: number;
  /** Messages per Produce request the app sent during the run (events and dead letters; with `produceStats`). */
  perProduceRequest?: number;
  /** `connector`: the app's process; `children` is not used; `loadGenerator`: the load generator (this process). */
  cpu: CpuUsed & { loadGenerator: number };
}

/**
 * Starts the real connectors app (`ConnectorsModule` through `bootstrapService`, as main.ts does)
 * writing to the bench topics, with the young generation `npm start` gives it, and waits until
 * it answers /health/ready.
 */
export async function startConnectorsApp(topics: OutputTopics, names: { marketing: string; segment: string }): Promise<RunningApp> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', path.join(__dirname, 'connectors.bench.js'), '--serve-http'], {
    // The IPC channel answers `produceStats` (serveConnectorsApp).
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      CONNECTORS_PORT: String(port),
      HOST: '127.0.0.1',
      // As `npm start` runs it: one access line per request (BENCH_APP_LOG_LEVEL=warn leaves them out).
      LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? 'info',
      SANDBOX_ENABLED: 'false',
      CRM_BASE_URL: '',
      MARKETING_SOURCE: names.marketing,
      MARKETING_WEBHOOK_SECRET: SECRET,
      SEGMENT_SOURCE: names.segment,
      SEGMENT_WRITE_KEYS: WRITE_KEY,
      BENCH_EVENTS_TOPIC: topics.events,
      BENCH_DEAD_LETTERS_TOPIC: topics.deadLetters,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the connectors app exited (${code}) before it was ready`))));
  exited.catch(() => undefined);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the connectors app was not ready within 60 s');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 250))]);
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
  };
  const produceStats = () =>
    new Promise<ProduceStats>((resolve, reject) => {
      child.once('message', (stats) => resolve(stats as ProduceStats));
      if (!child.send('produce-stats')) reject(new Error('the connectors app did not take the produce-stats question'));
    });
  return { url, pid: child.pid!, stop, produceStats };
}

/** Child mode: the connectors app as main.ts starts it, its output topics the benchmark's. */
export function serveConnectorsApp(): void {
  const profileDir = process.env.BENCH_CPU_PROFILE;
  if (profileDir) profileUntilStopped(profileDir);
  countProduceRequests();
  const topics: OutputTopics = { events: process.env.BENCH_EVENTS_TOPIC!, deadLetters: process.env.BENCH_DEAD_LETTERS_TOPIC! };
  bootstrapService({
    ...CONNECTORS_SERVICE,
    module: (config, logger) => {
      const module = ConnectorsModule.forRoot(config, logger);
      return { ...module, providers: [...(module.providers ?? []), { provide: OUTPUT_TOPICS, useValue: topics }] };
    },
  });
}

/**
 * Counts the Produce requests kafkajs builds in this process and the messages in them (how many
 * webhooks share one request), by wrapping kafkajs's request registry entry that every Produce
 * goes through (the one-pass encoding wraps this in turn); answers the benchmark's
 * `produce-stats` question on the IPC channel. A retried request counts again.
 */
function countProduceRequests(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry: { requests: { Produce: { versions: string[]; protocol(o: { version: number }): (args: { topicData: { partitions: { messages: unknown[] }[] }[] }) => unknown } } } = require('kafkajs/src/protocol/requests');
  const stats: ProduceStats = { requests: 0, messages: 0 };
  const original = registry.requests.Produce;
  registry.requests.Produce = {
    versions: original.versions,
    protocol: (options) => {
      const build = original.protocol(options);
      return (args) => {
        stats.requests++;
        for (const { partitions } of args.topicData) for (const { messages } of partitions) stats.messages += messages.length;
        return build(args);
      };
    },
  };
  process.on('message', (question) => {
    if (question === 'produce-stats') process.send?.(stats);
  });
  // The channel must not keep the app alive after its graceful close.
  process.channel?.unref();
}

/**
 * With BENCH_CPU_PROFILE=DIR the app's process is profiled from its start (the warm-up pass
 * included) until the benchmark stops it: `connectors-app-<pid>.cpuprofile` in DIR.
 */
function profileUntilStopped(dir: string): void {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  session.post('Profiler.start');
  // Before Nest's own SIGTERM handler, which closes the app and ends the process by the signal.
  process.prependListener('SIGTERM', () => {
    // The in-process session answers synchronously.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `connectors-app-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
    // Profiled, the app was seen not to end after its graceful close (the benchmark then waits on
    // its stderr): it ends at the latest 5 s after the signal.
    setTimeout(() => process.exit(0), 5000).unref();
  });
}

/**
 * The ceiling of one HTTP request per event on this machine: a bare `node:http` server in a
 * process of its own that reads each request's body whole and answers 200 with the webhook route's
 * body, with no framework, no signature check, no mapping and no Kafka. Driven by the same load
 * generator with the same requests, it shows what the HTTP exchange alone costs the shared cores.
 */
export async function startBareHttp(): Promise<RunningApp> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', path.join(__dirname, 'connectors.bench.js'), '--serve-bare-http', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bare HTTP server exited (${code}) before it listened`)));
    child.stdout!.once('data', () => resolve());
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}

/** Child mode of startBareHttp: listens on the port given and says so on stdout. */
export function serveBareHttp(port: number): void {
  const answer = JSON.stringify({ accepted: 1, deadLettered: 0 });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.statusCode = Buffer.concat(chunks).length > 0 ? 200 : 400;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => process.exit(0));
}

export interface CeilingResult {
  perSecond: number;
  p99: number;
  /** CPU seconds: the bare server's process, and the load generator (this process). */
  server: number;
  loadGenerator: number;
}

/** The same requests as a run of a pushed connector, answered by the bare server. */
export async function benchBareHttp(server: RunningApp, requests: LoadRequest[], amount: number, connections: number): Promise<CeilingResult> {
  const prepared = prepareLoad(server.url, requests);
  const own = process.cpuUsage();
  const before = sampleCpu([], [server.pid]);
  const started = process.hrtime.bigint();
  let lastAnswer = started;
  let after: ReturnType<typeof sampleCpu> | null = null;
  let ownUsed: NodeJS.CpuUsage | null = null;
  const result = await sendLoad(prepared, amount, connections, (answered) => {
    lastAnswer = process.hrtime.bigint();
    if (answered === amount) {
      after = sampleCpu([], [server.pid]);
      ownUsed = process.cpuUsage(own);
    }
  });
  const ok = result.statuses.get(200) ?? 0;
  if (ok !== amount || result.errors) throw new Error(`the bare HTTP server answered ${ok} of ${amount} requests with 200 (${result.errors} errors)`);
  const used = cpuBetween(before, after ?? sampleCpu([], [server.pid]));
  ownUsed ??= process.cpuUsage(own);
  return { perSecond: amount / (Number(lastAnswer - started) / 1e9), p99: result.latency.p99, server: used.children, loadGenerator: (ownUsed.user + ownUsed.system) / 1e6 };
}

/**
 * The marketing list as Mailchimp sends it: one signed, form-encoded webhook per subscriber per
 * request (subscribe, unsubscribe or cleaned by status), over `connections` keep-alive connections.
 * Signed just before the run (the signature carries its time, checked against a tolerance).
 */
export function marketingRequests(subscribers: MarketingSubscriber[], count: number): LoadRequest[] {
  const now = new Date();
  const requests: LoadRequest[] = [];
  for (let i = 0; i < count; i++) {
    const subscriber = subscribers[i % subscribers.length];
    const webhook =
      subscriber.status === 'cleaned' ? marketingWebhooks.cleaned(subscriber, now) : subscriber.status === 'unsubscribed' ? marketingWebhooks.unsubscribe(subscriber, now) : marketingWebhooks.subscribe(subscriber, now);
    const body = encodeMarketingWebhook(webhook);
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailChimp.com', [WEBHOOK_SIGNATURE_HEADER]: signWebhook(SECRET, body) };
    requests.push({ method: 'POST', path: '/v1/webhooks/marketing', headers, body });
  }
  return requests;
}

/**
 * The same people as Segment `identify` calls in `/v1/batch` requests of `batchSize` messages
 * (write key as Basic auth user, as the SDKs send it); message ids unique per run, since the app
 * answers a repeated id without sending it again.
 */
export function segmentRequests(subscribers: MarketingSubscriber[], count: number, batchSize: number, run: string): LoadRequest[] {
  const headers = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` };
  const timestamp = new Date().toISOString();
  const requests: LoadRequest[] = [];
  for (let r = 0; r < count; r++) {
    const batch = [];
    for (let m = 0; m < batchSize; m++) {
      const n = r * batchSize + m;
      const subscriber = subscribers[n % subscribers.length];
      const traits = { email: subscriber.email, firstName: subscriber.merges.FNAME, lastName: subscriber.merges.LNAME, ...(subscriber.merges.PHONE ? { phone: subscriber.merges.PHONE } : {}) };
      batch.push({ type: 'identify', messageId: `${run}-${n}`, userId: subscriber.id, traits, timestamp });
    }
    const body = JSON.stringify({ batch, sentAt: timestamp });
    if (Buffer.byteLength(body) > SEGMENT_MAX_BATCH_BYTES) throw new Error(`a batch of ${batchSize} is ${Buffer.byteLength(body)} bytes, over Segment's ${SEGMENT_MAX_BATCH_BYTES}`);
    requests.push({ method: 'POST', path: '/v1/batch', headers, body });
  }
  return requests;
}

/**
 * Sends `amount` of the prepared requests over `connections` keep-alive connections and counts what
 * reached Kafka (the bench topics' offsets): every answer comes after Kafka acknowledged, so the
 * clock stops with the last answer. The load generator's CPU (this process) is counted apart from
 * the app's. `requests` must hold `amount + 2 × connections` (see runAutocannon).
 */
export async function benchPush(
  app: RunningApp,
  admin: Admin,
  db: DataSource,
  topics: OutputTopics,
  requests: LoadRequest[],
  amount: number,
  connections: number,
  eventsPerRequest: number,
  generator: LoadGenerator = 'sockets',
): Promise<PushResult> {
  const backends = await appBackends(db);
  const prepared = generator === 'sockets' ? prepareLoad(app.url, requests) : null;
  const produceBefore = await app.produceStats?.();
  const eventsBefore = await topicSize(admin, topics.events);
  const deadBefore = await topicSize(admin, topics.deadLetters);
  const own = process.cpuUsage();
  const before = sampleCpu(backends, [app.pid]);
  const started = process.hrtime.bigint();
  // Timed to the last answer (autocannon resolves only at its next one-second sample after it,
  // which rounded every run up to whole seconds). The CPU is sampled there too.
  let lastAnswer = started;
  let after: ReturnType<typeof sampleCpu> | null = null;
  let ownUsed: NodeJS.CpuUsage | null = null;
  const onAnswer = (answered: number) => {
    lastAnswer = process.hrtime.bigint();
    if (answered === amount) {
      after = sampleCpu(backends, [app.pid]);
      ownUsed = process.cpuUsage(own);
    }
  };
  const result = prepared ? await sendLoad(prepared, amount, connections, onAnswer) : await runAutocannon(app.url, requests, amount, connections, onAnswer);
  const seconds = Number(lastAnswer - started) / 1e9;
  const used = cpuBetween(before, after ?? sampleCpu(backends, [app.pid]));
  ownUsed ??= process.cpuUsage(own);
  const answered = [...result.statuses.values()].reduce((sum, n) => sum + n, 0);
  const ok = [...result.statuses].reduce((sum, [status, n]) => sum + (status >= 200 && status < 300 ? n : 0), 0);
  if (ok !== amount || result.errors) throw new Error(`${answered - ok} non-2xx answers and ${result.errors} errors of ${amount} requests (${ok} 2xx)`);
  const events = (await topicSize(admin, topics.events)) - eventsBefore;
  const deadLettered = (await topicSize(admin, topics.deadLetters)) - deadBefore;
  if (events + deadLettered !== ok * eventsPerRequest) throw new Error(`${events} events and ${deadLettered} dead letters in Kafka for ${ok} answered requests of ${eventsPerRequest}`);
  const produceAfter = await app.produceStats?.();
  return {
    events,
    requests: ok,
    perSecond: events / seconds,
    p99: result.latency.p99,
    perProduceRequest: produceBefore && produceAfter ? (produceAfter.messages - produceBefore.messages) / (produceAfter.requests - produceBefore.requests) : undefined,
    cpu: { ...used, connector: used.children, children: 0, loadGenerator: (ownUsed.user + ownUsed.system) / 1e6 },
  };
}

/**
 * The same load through autocannon (`--load-generator autocannon`), which costs the shared CPU more
 * per request. It builds one request ahead per connection without sending it, so `requests` must
 * hold `amount + 2 × connections` for none to go twice.
 */
async function runAutocannon(url: string, requests: LoadRequest[], amount: number, connections: number, onAnswer: (answered: number) => void): Promise<LoadResult> {
  let next = 0;
  const setupRequest = (request: LoadRequest) => Object.assign(request, requests[next++ % requests.length]);
  // autocannon refuses more connections than requests (a tiny --records run).
  const run = autocannon({ url, connections: Math.min(connections, amount), amount, requests: [{ method: 'POST', setupRequest }] });
  let answers = 0;
  run.on('response', () => onAnswer(++answers));
  const result = await run;
  if (next > requests.length) throw new Error(`autocannon built ${next} requests of ${requests.length} prepared: some went twice`);
  return { statuses: new Map([[200, result['2xx']], [0, result.non2xx]]), errors: result.errors, latency: result.latency };
}

/** The PostgreSQL sessions of the app's pool in this database (its registry reads and writes). */
async function appBackends(db: DataSource): Promise<number[]> {
  const rows: { pid: number }[] = await db.query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [APP_SESSION_NAME]);
  return rows.map((r) => r.pid);
}

async function topicSize(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

