import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ClientStore } from '@tandem/governance';
import { freePort } from '@tandem/observability';
import { dataSourceOptions } from '@tandem/persistence';
import { BENCH_SOURCE, benchEmail, seedProfiles } from './bench-seed';

// autocannon ships no types; this is the part of its API the benchmark uses.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  '2xx': number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const DATABASE_URL = process.env.API_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tandem_api_bench';
const PROFILES = Number(process.env.BENCH_PROFILES ?? 1_000_000);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const AUDIENCE = Number(process.env.BENCH_AUDIENCE ?? 100_000);
/** Audiences measured on each running API (after the first one after start, printed apart); the phase's figure is their median. */
const AUDIENCE_RUNS = Number(process.env.BENCH_AUDIENCE_RUNS ?? 5);
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
/**
 * Builds or settings to compare, alternately in one run: `name=path/to/main.js[;SETTING=value…],…`
 * (default: this build as it is).
 */
const VARIANTS = (process.env.BENCH_VARIANTS ?? `current=${path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js')}`).split(',').map((v) => {
  const [name, spec] = v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, v];
  const [main, ...settings] = spec.split(';');
  return { name, main: path.resolve(ROOT, main), env: Object.fromEntries(settings.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)])) };
});
/**
 * Rounds of the whole benchmark (the bare loop, then each build's phases on a fresh API): the
 * targets are judged on their medians, as one 15 s lookup phase swings with the machine.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Phases to run: bare (the pg loop), lookup (audit durable), lookup-async (synchronous_commit off), audience. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'bare,lookup,lookup-async,audience').split(','));
/** Node flags for the API process: those it runs with (scripts/lib/services.mjs), then BENCH_API_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const NODE_ARGS = ['--max-semi-space-size=64', ...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean)];

const LOOKUP_SQL = `SELECT p.id, p.status, p.version, p.updated_at, p.golden, p.lineage, p.merged_into, p.consents
  FROM profiles p WHERE p.id IN (SELECT i.profile_id FROM identifiers i WHERE i.type = $1 AND i.value = $2)
   AND p.status = 'active' ORDER BY p.id LIMIT 5`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** CPU time (user + system) a process has used, in ms; 0 where /proc is not there. */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return 0;
  }
}

/**
 * CPU (ms) of each PostgreSQL backend serving the benchmark's database, by application name: the
 * API's lookups and its audit connection. Read from /proc, so only where the server runs here.
 */
async function postgresCpu(db: Client, database: string): Promise<Map<string, number>> {
  const { rows } = await db.query(`SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'tandem-api%'`, [database]);
  const out = new Map<string, number>();
  for (const row of rows as Array<{ pid: number; application_name: string }>) out.set(`${row.application_name}:${row.pid}`, cpuMs(row.pid));
  return out;
}

/**
 * Per-request CPU of the backends, summed by application name: a backend started during the phase
 * counts whole (the pool opens and closes connections as load varies); one gone by the end is missed.
 */
function postgresCpuPerRequest(before: Map<string, number>, after: Map<string, number>, requests: number): string {
  const byApp = new Map<string, number>();
  for (const [key, ms] of after) {
    const app = key.slice(0, key.lastIndexOf(':'));
    byApp.set(app, (byApp.get(app) ?? 0) + ms - (before.get(key) ?? 0));
  }
  return [...byApp].map(([app, ms]) => `${app} ${Math.round((ms * 1000) / Math.max(1, requests))} µs`).join(', ');
}

/** How busy the machine is: a benchmark on a shared 2-core box means little without it. */
function machineLoad(): string {
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  let pressure = '';
  try {
    const cpu = /avg10=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    const io = /avg10=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/io', 'utf8'));
    pressure = `, CPU pressure ${cpu?.[1]}%, IO pressure ${io?.[1]}% (share of time some task waited)`;
  } catch {
    /* not Linux, or no PSI */
  }
  return `load average ${load} on ${os.cpus().length} cores${pressure}`;
}

/**
 * Reads the benchmark's tables and indexes into the OS page cache. This machine pages out page
 * cache left idle for about a minute (and PostgreSQL's shared buffers are 128 MB), so each phase
 * starts from this, as a serving database would be warm, rather than measuring the disk.
 */
async function prewarm(db: Client): Promise<void> {
  const warm = Date.now();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  const { rows: warmed } = await db.query(
    `SELECT COALESCE(sum(pg_prewarm(c.oid, 'read')), 0)::bigint AS blocks
       FROM pg_class c
      WHERE c.relkind IN ('r', 'i') AND c.relnamespace = 'public'::regnamespace
        AND (c.relname IN ('profiles', 'source_records', 'identifiers', 'profile_consents', 'erasure_suppressions')
             OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid::regclass::text IN ('profiles', 'source_records', 'identifiers', 'profile_consents', 'erasure_suppressions')))`,
  );
  say(`» database read into memory: ${Math.round((Number(warmed[0].blocks) * 8) / 1024).toLocaleString('en')} MiB in ${((Date.now() - warm) / 1000).toFixed(1)} s`);
}

/** CPU (µs) this process has used: the load generator's share. */
function ownCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function randomPerson(): number {
  return 1 + Math.floor(Math.random() * PROFILES);
}

async function main(): Promise<void> {
  const started = Date.now();
  say(`» api benchmark: ${PROFILES.toLocaleString('en')} profiles, ${CONNECTIONS} connections, ${DURATION} s per phase, database ${new URL(DATABASE_URL).pathname.slice(1)}`);
  say(`  machine: ${machineLoad()}`);
  await createDatabaseIfMissing(DATABASE_URL);
  const ds = new DataSource(dataSourceOptions({ url: DATABASE_URL, poolSize: 2, applicationName: 'tandem-bench' }));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });

  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM source_records WHERE source = $1`, [BENCH_SOURCE])).rows;
  if (n < PROFILES) {
    const t = Date.now();
    say(`» seeding profiles ${n.toLocaleString('en')} → ${PROFILES.toLocaleString('en')} (set-based SQL, once per database)`);
    await seedProfiles(db, PROFILES, (done) => process.stdout.write(`\r  ${done.toLocaleString('en')} profiles`));
    say(`\n  seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }

  if (process.argv.includes('--seed-only')) {
    await db.end();
    await ds.destroy();
    say(`» seeded; done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return;
  }
  await prewarm(db);

  const store = new ClientStore(ds);
  const { client, clientSecret } = await store.create({ name: `bench-${Date.now().toString(36)}`, roles: ['marketing'], rateLimitPerSecond: 1_000_000 });

  // 1. The floor: the same indexed lookup straight on pg, same concurrency, no HTTP, no policy, no
  // audit; measured at the start of every round, as this machine's own speed drifts between rounds.
  let bare = { rps: NaN, p50: NaN, p99: NaN };
  const bareRps: number[] = [];
  const measureBare = async () => {
    if (!PHASES.has('bare')) return;
    const pool = new Pool({ connectionString: DATABASE_URL, max: CONNECTIONS });
    // Warm-up first, as the API phases get: the measured loop should not pay for a cold cache.
    await pgLoop(pool, 3);
    bare = await pgLoop(pool, Math.max(5, Math.round(DURATION / 2)));
    await pool.end();
    bareRps.push(bare.rps);
    say(`» bare pg lookup loop:   ${Math.round(bare.rps).toLocaleString('en')} lookups/s, p50 ${bare.p50.toFixed(2)} ms, p99 ${bare.p99.toFixed(2)} ms`);
  };

  // 2. The API, as a separate process, with audit on: every 200 waits for the insert carrying its audit row.
  // BENCH_VARIANTS (name=path/to/main.js,…) runs builds alternately, BENCH_ROUNDS times: an A/B in one run.
  const results = new Map<string, { lookups: string[]; lookupRps: number[]; lookupP99: number[]; lookupRatio: number[]; asyncRps: number[]; audienceColdMs: number[]; audienceMs: number[] }>();
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) say(`» round ${round}/${ROUNDS}`);
    await measureBare();
    for (const variant of VARIANTS) {
      if (VARIANTS.length > 1 || ROUNDS > 1) say(`» round ${round}/${ROUNDS}, build ${variant.name} (${path.relative(ROOT, variant.main)}${Object.entries(variant.env).map(([k, v]) => ` ${k}=${v}`).join('')})`);
      const measured = results.get(variant.name) ?? { lookups: [], lookupRps: [], lookupP99: [], lookupRatio: [], asyncRps: [], audienceColdMs: [], audienceMs: [] };
      results.set(variant.name, measured);
      for (const durable of [true, false]) {
        if (!durable && !PHASES.has('lookup-async')) continue;
        if (durable && !PHASES.has('lookup') && !PHASES.has('audience')) continue;
        const api = await startApi(variant.main, durable, variant.env);
        try {
          const token = await getToken(api.url, client.id, clientSecret);
          const database = decodeURIComponent(new URL(DATABASE_URL).pathname.slice(1));
          if (!durable || PHASES.has('lookup')) {
            const rps = await lookupPhase(api, token, durable, db, client.id, database, bare.rps);
            if (durable) {
              measured.lookupRps.push(rps.rps);
              measured.lookupP99.push(rps.p99);
              measured.lookupRatio.push(rps.rps / bare.rps);
              measured.lookups.push(`${Math.round(rps.rps).toLocaleString('en')}/s p99 ${rps.p99} ms`);
            } else measured.asyncRps.push(rps.rps);
          }
          if (durable && PHASES.has('audience')) {
            const { coldMs, ms } = await audiencePhase(api, token, db, database);
            measured.audienceColdMs.push(coldMs);
            measured.audienceMs.push(ms);
          }
        } finally {
          await api.stop();
        }
      }
    }
  }
  if (VARIANTS.length > 1 || ROUNDS > 1) {
    const bareText = bareRps.map((r) => Math.round(r).toLocaleString('en')).join(' | ');
    say(`» summary of ${ROUNDS} round(s)${bareRps.length ? ` (bare pg loop ${bareText} lookups/s; median ${Math.round(median(bareRps)).toLocaleString('en')})` : ''}`);
    for (const [name, m] of results) {
      if (m.lookups.length) say(`  ${name}: lookup, audit durable: ${m.lookups.join(' | ')}; median ${Math.round(median(m.lookupRps)).toLocaleString('en')}/s, p99 ${median(m.lookupP99)} ms (${median(m.lookupRatio).toFixed(2)} of the bare loop of its round)`);
      if (m.asyncRps.length) say(`  ${name}: lookup, synchronous_commit off: ${m.asyncRps.map((r) => Math.round(r).toLocaleString('en')).join(' | ')}/s; median ${Math.round(median(m.asyncRps)).toLocaleString('en')}/s`);
      if (m.audienceMs.length) say(`  ${name}: audience ${AUDIENCE.toLocaleString('en')}, median of ${AUDIENCE_RUNS} per round: ${m.audienceMs.join(' | ')} ms; median ${median(m.audienceMs)} ms (first after start: ${m.audienceColdMs.join(' | ')} ms)`);
      const verdicts: string[] = [];
      if (m.lookups.length) verdicts.push(`≥ 3,000 lookups/s ${median(m.lookupRps) >= 3000 ? 'met' : 'NOT met'}, p99 < 20 ms ${median(m.lookupP99) < 20 ? 'met' : 'NOT met'}`);
      if (m.audienceMs.length) verdicts.push(`audience < 2 s ${median(m.audienceMs) < 2000 ? 'met' : 'NOT met'}`);
      if (verdicts.length) say(`  ${name}: targets on the medians: ${verdicts.join('; ')}`);
    }
  }
  await store.update(client.id, { disabled: true });
  await db.end();
  await ds.destroy();
  say(`  machine: ${machineLoad()}`);
  say(`» done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

type RunningApi = { url: string; pid: number; stop: () => Promise<void> };

/** Lookups by email under autocannon, audited; prints the figures, returns requests/s and p99. */
async function lookupPhase(api: RunningApi, token: string, durable: boolean, db: Client, clientId: string, database: string, bareRps: number): Promise<{ rps: number; p99: number }> {
  const lookup = () => ({
    method: 'GET',
    setupRequest: (request: { path: string }) => {
      request.path = `/profiles/lookup?purpose=email-marketing&email=${encodeURIComponent(benchEmail(randomPerson()))}`;
      return request;
    },
  });
  const options = { url: api.url, connections: CONNECTIONS, headers: { authorization: `Bearer ${token}` }, requests: [lookup()] };
  await prewarm(db);
  await autocannon({ ...options, duration: 3 });
  const before = await auditCount(db, clientId);
  const pgBefore = await postgresCpu(db, database);
  const cpuBefore = cpuMs(api.pid);
  const ownBefore = ownCpuUs();
  const result = await autocannon({ ...options, duration: DURATION });
  const cpuPerRequest = ((cpuMs(api.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
  const loadPerRequest = (ownCpuUs() - ownBefore) / Math.max(1, result.requests.total);
  const pgPerRequest = postgresCpuPerRequest(pgBefore, await postgresCpu(db, database), result.requests.total);
  await new Promise((r) => setTimeout(r, 500));
  const audited = (await auditCount(db, clientId)) - before;
  say(
    `» API GET /profiles/lookup?email, audit ${durable ? 'durable (WAL flushed before the answer)' : 'API_AUDIT_DURABLE=false (synchronous_commit off)'}: ` +
      `${Math.round(result.requests.average).toLocaleString('en')} requests/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; ` +
      `${result['2xx'].toLocaleString('en')} × 2xx, ${result.non2xx} non-2xx, ${result.errors} errors`,
  );
  say(`  audit rows written in the phase: ${audited.toLocaleString('en')} for ${result['2xx'].toLocaleString('en')} answers; API / bare pg: ${(result.requests.average / bareRps).toFixed(2)}`);
  if (cpuPerRequest > 0) say(`  API process CPU per lookup: ${Math.round(cpuPerRequest)} µs (one dedicated core would serve about ${Math.round(1e6 / cpuPerRequest).toLocaleString('en')} lookups/s)`);
  if (pgPerRequest) say(`  PostgreSQL CPU per lookup: ${pgPerRequest}`);
  say(`  load generator (autocannon, this process) CPU per lookup: ${Math.round(loadPerRequest)} µs`);
  say(`  machine: ${machineLoad()}`);
  say(`  targets: ≥ 3,000 requests/s ${result.requests.average >= 3000 ? 'met' : 'NOT met'}, p99 < 20 ms ${result.latency.p99 < 20 ? 'met' : 'NOT met'}`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

/**
 * A campaign list of AUDIENCE rows resolved twice, each list with other random people: the first
 * right after the API started (its read connections are new PostgreSQL backends, which fault on every
 * shared buffer they first touch: a cold start), then the measured one, as a running API serves it
 * (the lookup phases warm up the same way). Prints the figures, returns both wall times in ms.
 */
async function audiencePhase(api: RunningApi, token: string, db: Client, database: string): Promise<{ coldMs: number; ms: number }> {
  await prewarm(db);
  const cold = await resolveAudience(api, token, audienceList(AUDIENCE));
  say(`» first audience after the API started (new read connections): ${cold.ms} ms, HTTP ${cold.status}`);
  // 3. Audience resolution: campaign lists with cross-system duplicates and strangers, each of other random people.
  const runs: number[] = [];
  for (let run = 1; run <= AUDIENCE_RUNS; run++) {
    const body = audienceList(AUDIENCE);
    await prewarm(db);
    const pgBeforeAudience = await postgresCpu(db, database);
    const apiBeforeAudience = cpuMs(api.pid);
    const ownBeforeAudience = ownCpuUs();
    const { ms, status, text } = await resolveAudience(api, token, body);
    const apiAudience = cpuMs(api.pid) - apiBeforeAudience;
    const ownAudience = (ownCpuUs() - ownBeforeAudience) / 1000;
    // Per 1,000 requests in µs is the whole run in ms.
    const pgAudience = postgresCpuPerRequest(pgBeforeAudience, await postgresCpu(db, database), 1000).replace(/ µs/g, ' ms');
    const lines = text.trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]);
    say(`» POST /audiences/resolve, ${AUDIENCE.toLocaleString('en')} recipients (JSON lines), run ${run}/${AUDIENCE_RUNS}: ${ms} ms, HTTP ${status}, ${(lines.length - 1).toLocaleString('en')} recipients out`);
    if (run === 1) say(`  report: ${JSON.stringify(last.report ?? last)}`);
    else if (!last.report) say(`  last line: ${JSON.stringify(last)}`);
    say(`  CPU: API process ${Math.round(apiAudience)} ms, PostgreSQL ${pgAudience}, client (this process) ${Math.round(ownAudience)} ms; machine: ${machineLoad()}`);
    runs.push(ms);
  }
  const ms = median(runs);
  say(`  audience of ${AUDIENCE.toLocaleString('en')}: median ${ms} ms of ${runs.length} (${runs.join(', ')} ms); target: < 2 s ${ms < 2000 ? 'met' : 'NOT met'}`);
  return { coldMs: cold.ms, ms };
}

/** One POST /audiences/resolve of a JSON-lines list, read to the end. */
async function resolveAudience(api: RunningApi, token: string, body: string): Promise<{ ms: number; status: number; text: string }> {
  const t = Date.now();
  const response = await fetch(`${api.url}/audiences/resolve?purpose=email-marketing&channel=email`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  const text = await response.text();
  return { ms: Date.now() - t, status: response.status, text };
}

async function startApi(main: string, durable: boolean, settings: Record<string, string> = {}): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  // Logs at info as in production; their lines go nowhere, as the load generator's output would.
  const api = spawn(process.execPath, [...NODE_ARGS, main], {
    env: { ...process.env, DATABASE_URL, API_PORT: String(port), LOG_LEVEL: 'info', API_DOCS: 'false', API_AUDIT_DURABLE: String(durable), ...settings },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  api.stderr!.on('data', (c) => (stderr += c));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => api.once('exit', resolve));
  try {
    await waitReady(url, api, () => stderr);
  } catch (error) {
    api.kill('SIGKILL');
    throw error;
  }
  return { url, pid: api.pid!, stop: async () => void (api.kill('SIGTERM'), await exited) };
}

/** 70% distinct people by email, 20% the same people again (other case, or by source record), 10% unknown. */
function audienceList(rows: number): string {
  const out: string[] = [];
  const distinct = Math.round(rows * 0.7);
  const people: number[] = [];
  for (let i = 0; i < distinct; i++) {
    const p = randomPerson();
    people.push(p);
    out.push(JSON.stringify({ email: benchEmail(p) }));
  }
  for (let i = 0; i < Math.round(rows * 0.2); i++) {
    const p = people[i % people.length];
    out.push(i % 2 ? JSON.stringify({ email: benchEmail(p).toUpperCase() }) : JSON.stringify({ source: BENCH_SOURCE, recordId: `R${p}` }));
  }
  while (out.length < rows) out.push(JSON.stringify({ email: `stranger${out.length}@nowhere.example` }));
  return out.join('\n') + '\n';
}

async function pgLoop(pool: Pool, seconds: number): Promise<{ rps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await pool.query({ name: 'bench-lookup', text: LOOKUP_SQL, values: ['email', benchEmail(randomPerson())] });
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        n++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rps: n / seconds, p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

async function auditCount(db: Client, clientId: string): Promise<number> {
  return (await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE client_id = $1`, [clientId])).rows[0].n;
}

async function getToken(url: string, id: string, secret: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
  });
  if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited: ${stderr()}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the API did not become ready in 60 s');
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:api: ${error.message}\n`);
  process.exit(1);
});
