#!/usr/bin/env node
// Real Debezium, as IT runs it: a Kafka Connect worker in standalone mode with the Debezium
// PostgreSQL connector (pgoutput), capturing a PostgreSQL database that stands in for the ERP.
// Jars come from Maven Central once (scripts/debezium/pom.xml) into .kafka/connect-lib/.
//
//   node scripts/debezium.mjs start|stop|status|wipe
//
// start: Kafka (reused when running), logical decoding on PostgreSQL (ALTER SYSTEM + one restart,
// only when wal_level is not logical yet), the ERP database with its customers and orders tables
// and publication, the two change topics with explicit partitions, then the worker; resolves when
// the connector and its task report RUNNING. Offsets live in a file under .kafka/connect/.
//
// Env: ERP_DATABASE_URL (postgres://postgres@127.0.0.1:5432/tandem_erp_test), KAFKA_PORT (9092; another
// port gets its own worker: REST port KAFKA_PORT-1009, slot tandem_erp_<port>), KAFKA_BROKERS
// (127.0.0.1:9092), DEBEZIUM_CONNECT_PORT (8083, the worker's REST port), DEBEZIUM_TOPIC_PARTITIONS
// (3), DEBEZIUM_SLOT_NAME, DEBEZIUM_PG_RESTART_CMD (how to restart PostgreSQL; default pg_ctlcluster).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startKafka } from './kafka.mjs';
import { displayPath, fetchMavenJars, fileSize, freePort, isAlive, isMain, javaBaseArgs, linesSince, log4jRollingFile, pomProperty, portFree, readPid, runCli, runsWith, ScriptError, sleep, spawnJava, terminate, withStartLock } from './lib/jvm.mjs';
import { REPO_ROOT } from './lib/workspace.mjs';

const POM = path.join(REPO_ROOT, 'scripts', 'debezium', 'pom.xml');
const requireFromRepo = createRequire(path.join(REPO_ROOT, 'package.json'));

/** The Debezium topic prefix: topics are `<prefix>.<schema>.<table>`. */
export const ERP_TOPIC_PREFIX = 'erp';
export const ERP_TABLES = ['customers', 'orders'];
export const ERP_TOPICS = ERP_TABLES.map((table) => `${ERP_TOPIC_PREFIX}.public.${table}`);
// Debezium writes its heartbeats here; with topic creation off it must exist or the task blocks.
const HEARTBEAT_TOPIC = `__debezium-heartbeat.${ERP_TOPIC_PREFIX}`;
const CONNECTOR_NAME = 'tandem-erp';
const PUBLICATION_NAME = 'tandem_erp';

/** A problem the user can act on: the CLI prints only its message and exits 1. */
export class DebeziumError extends ScriptError {}

// ---------------------------------------------------------------------------------------------
// Settings

export function debeziumSettings(opts = {}) {
  const kafkaVersion = pomProperty(POM, 'kafka.version', DebeziumError);
  const debeziumVersion = pomProperty(POM, 'debezium.version', DebeziumError);
  // One worker per broker: a second broker on this machine (KAFKA_PORT, e.g. a fresh clone's test
  // run) gets its own worker home, REST port and replication slot, so neither steals the other's.
  const kafkaPort = Number(process.env.KAFKA_PORT ?? 9092);
  const home = path.join(path.resolve(process.env.KAFKA_HOME_DIR ?? path.join(REPO_ROOT, '.kafka')), 'connect');
  const defaultRestPort = kafkaPort > 2100 ? kafkaPort - 1009 : 8083;
  const defaultSlot = kafkaPort === 9092 ? 'tandem_erp' : `tandem_erp_${kafkaPort}`;
  // The port and slot the last start chose (they differ from the defaults after a fallback).
  let running = {};
  try {
    running = JSON.parse(fs.readFileSync(path.join(home, 'worker.json'), 'utf8'));
  } catch {
    // never started here
  }
  const erpUrl = opts.erpDatabaseUrl ?? process.env.ERP_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tandem_erp_test';
  return {
    kafkaVersion,
    debeziumVersion,
    versions: `${kafkaVersion}-${debeziumVersion}`,
    libDir: path.join(REPO_ROOT, '.kafka', 'connect-lib', `${kafkaVersion}-${debeziumVersion}`),
    home,
    logsDir: path.join(home, 'logs'),
    pidFile: path.join(home, 'connect.pid'),
    lockFile: path.join(home, 'start.lock'),
    offsetsFile: path.join(home, 'connect.offsets'),
    workerFile: path.join(home, 'worker.properties'),
    connectorFile: path.join(home, 'connector.properties'),
    log4jFile: path.join(home, 'log4j2.properties'),
    brokers: opts.brokers ?? process.env.KAFKA_BROKERS ?? `127.0.0.1:${kafkaPort}`,
    restPort: Number(opts.restPort ?? process.env.DEBEZIUM_CONNECT_PORT ?? running.restPort ?? defaultRestPort),
    slotName: process.env.DEBEZIUM_SLOT_NAME ?? running.slotName ?? defaultSlot,
    defaultRestPort: Number(opts.restPort ?? process.env.DEBEZIUM_CONNECT_PORT ?? defaultRestPort),
    defaultSlot: process.env.DEBEZIUM_SLOT_NAME ?? defaultSlot,
    choiceFile: path.join(home, 'worker.json'),
    partitions: Number(process.env.DEBEZIUM_TOPIC_PARTITIONS ?? 3),
    erpUrl: new URL(erpUrl),
    timeoutMs: opts.timeoutMs ?? 180_000,
    log: opts.log ?? ((line) => console.log(line)),
  };
}

// ---------------------------------------------------------------------------------------------
// Jars

/** Copies Connect and the Debezium connector with Maven, once; a marker makes later runs instant. */
export async function fetchConnectJars(opts = {}) {
  const s = debeziumSettings(opts);
  return fetchMavenJars(s, {
    pomFile: POM,
    expectedJar: `debezium-connector-postgres-${s.debeziumVersion}.jar`,
    libDirProperty: 'connect.lib.dir',
    marker: s.versions,
    notice: `Fetching Kafka Connect ${s.kafkaVersion} and Debezium ${s.debeziumVersion} jars with Maven into ${displayPath(s.libDir)} (first run only)`,
    mavenMissing: 'Maven is required to fetch the Kafka Connect and Debezium jars the first time (mvn not found on PATH)',
    failed: 'Fetching the Connect/Debezium jars with Maven failed',
    ErrorClass: DebeziumError,
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: logical decoding, the ERP database, its publication

function pgClient(url) {
  const { Client } = requireFromRepo('pg');
  return new Client({ connectionString: url.toString(), application_name: 'tandem-debezium-script' });
}

async function withPg(url, fn) {
  const client = pgClient(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function adminUrl(s) {
  const url = new URL(s.erpUrl);
  url.pathname = '/postgres';
  return url;
}

/**
 * Debezium's pgoutput plugin needs wal_level=logical, a server setting that only takes effect on
 * restart. Done once per server: when it is already logical nothing is touched.
 */
export async function ensureLogicalDecoding(opts = {}) {
  const s = debeziumSettings(opts);
  const level = await withPg(adminUrl(s), async (c) => (await c.query('SHOW wal_level')).rows[0].wal_level);
  if (level === 'logical') return { restarted: false };
  s.log(`PostgreSQL wal_level is ${level}: setting it to logical and restarting PostgreSQL (once per server)`);
  await withPg(adminUrl(s), (c) => c.query('ALTER SYSTEM SET wal_level = logical'));
  restartPostgres(s);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const now = await withPg(adminUrl(s), async (c) => (await c.query('SHOW wal_level')).rows[0].wal_level);
      if (now !== 'logical') throw new DebeziumError(`PostgreSQL restarted but wal_level is still ${now}`);
      return { restarted: true };
    } catch (error) {
      if (error instanceof DebeziumError || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** A slot whose worker is gone keeps WAL for the whole server forever: cap it (a reload, no restart). */
async function capWalForAbandonedSlots(s) {
  await withPg(adminUrl(s), async (c) => {
    if ((await c.query('SHOW max_slot_wal_keep_size')).rows[0].max_slot_wal_keep_size !== '-1') return;
    await c.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '2GB'`);
    await c.query('SELECT pg_reload_conf()');
  });
}

function restartPostgres(s) {
  let command = process.env.DEBEZIUM_PG_RESTART_CMD;
  if (!command) {
    const versions = fs.existsSync('/etc/postgresql') ? fs.readdirSync('/etc/postgresql') : [];
    const probe = spawnSync('pg_ctlcluster', ['--help'], { encoding: 'utf8' });
    if (versions.length !== 1 || probe.error) {
      throw new DebeziumError(
        'PostgreSQL needs wal_level=logical for Debezium and this script cannot restart it here: restart PostgreSQL yourself ' +
          '(ALTER SYSTEM SET wal_level = logical was done) or set DEBEZIUM_PG_RESTART_CMD',
      );
    }
    // --skip-systemctl-redirect: there is no systemd on these machines.
    command = `pg_ctlcluster --skip-systemctl-redirect ${versions[0]} main restart`;
  }
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  if (result.status !== 0) throw new DebeziumError(`Restarting PostgreSQL (${command}) failed: ${(result.stderr || result.stdout).trim()}`);
}

/** The stand-in ERP schema: what a typical shop ERP keeps about customers and their orders. */
const ERP_SCHEMA = `
CREATE TABLE IF NOT EXISTS customers (
  id              bigserial PRIMARY KEY,
  customer_number text        NOT NULL UNIQUE,
  email           text,
  first_name      text,
  last_name       text,
  phone           text,
  street          text,
  postcode        text,
  city            text,
  country         text,
  birth_date      date,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
  id           bigserial PRIMARY KEY,
  order_number text          NOT NULL UNIQUE,
  customer_id  bigint        NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  placed_at    timestamptz   NOT NULL DEFAULT now(),
  total        numeric(12,2) NOT NULL,
  currency     text          NOT NULL,
  category     text,
  status       text          NOT NULL DEFAULT 'placed'
);
CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
-- Ids from 1e9 up: the in-process sandbox simulates an ERP on the same erp.* topics with small ids,
-- and two different customers under one id would mix their histories in the connector.
SELECT setval('customers_id_seq', GREATEST(last_value, 999999999)) FROM customers_id_seq;
SELECT setval('orders_id_seq', GREATEST(last_value, 999999999)) FROM orders_id_seq;
-- Deletes carry the whole old row (customer_id of a deleted order), not just the key.
ALTER TABLE customers REPLICA IDENTITY FULL;
ALTER TABLE orders REPLICA IDENTITY FULL;
`;

/** Creates the ERP database, its tables and the publication Debezium reads (idempotent). */
export async function ensureErpDatabase(opts = {}) {
  const s = debeziumSettings(opts);
  const dbName = decodeURIComponent(s.erpUrl.pathname.replace(/^\//, ''));
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new DebeziumError(`ERP_DATABASE_URL names database "${dbName}": use lower-case letters, digits and _`);
  await withPg(adminUrl(s), async (c) => {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (exists.rowCount === 0) {
      await c.query(`CREATE DATABASE ${dbName}`).catch((error) => {
        if (error.code !== '42P04') throw error; // created meanwhile by a concurrent start
      });
    }
  });
  await withPg(s.erpUrl, async (c) => {
    // One start at a time applies the DDL (another test process may be starting too).
    await c.query('SELECT pg_advisory_lock(7042201)');
    try {
      await c.query(ERP_SCHEMA);
      const publication = await c.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [PUBLICATION_NAME]);
      if (publication.rowCount === 0) await c.query(`CREATE PUBLICATION ${PUBLICATION_NAME} FOR TABLE ${ERP_TABLES.join(', ')}`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(7042201)');
    }
  });
  return { database: dbName };
}

// ---------------------------------------------------------------------------------------------
// Topics: created here with explicit partitions; the worker never creates topics

/** Creates `erp.public.customers`, `erp.public.orders` and the heartbeat topic when missing. */
export async function ensureErpTopics(opts = {}) {
  const s = debeziumSettings(opts);
  const { Kafka, logLevel } = requireFromRepo('kafkajs');
  const kafka = new Kafka({ clientId: 'tandem-debezium-script', brokers: s.brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...ERP_TOPICS.map((topic) => ({ topic, numPartitions: s.partitions })), { topic: HEARTBEAT_TOPIC, numPartitions: 1 }];
    const missing = wanted.filter(({ topic }) => !existing.has(topic));
    if (missing.length) {
      await admin
        .createTopics({ waitForLeaders: true, topics: missing.map((spec) => ({ ...spec, replicationFactor: 1 })) })
        .catch((error) => {
          if (!/already exists/i.test(error.message)) throw error;
        });
    }
    return missing.map(({ topic }) => topic);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Worker configuration

function workerProperties(s) {
  return `# Written by scripts/debezium.mjs on every start: edit the script, not this file.
bootstrap.servers=${s.brokers}
# Standalone mode: offsets (the replication position Debezium has published up to) in a file.
offset.storage.file.filename=${s.offsetsFile}
offset.flush.interval.ms=1000
# The worker's REST API on loopback only: status and health.
listeners=http://127.0.0.1:${s.restPort}
# Topics are created by the script with explicit partitions; the broker does not auto-create either.
topic.creation.enable=false
# JSON without the embedded schema: the consumer is TypeScript that validates the envelope itself,
# and the schema would make every message several times larger.
key.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=false
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
# Every change acknowledged by all in-sync replicas, written once.
producer.acks=all
producer.enable.idempotence=true
producer.linger.ms=5
`;
}

function connectorProperties(s) {
  return `# Written by scripts/debezium.mjs on every start: edit the script, not this file.
name=${CONNECTOR_NAME}
connector.class=io.debezium.connector.postgresql.PostgresConnector
tasks.max=1
plugin.name=pgoutput
database.hostname=${s.erpUrl.hostname}
database.port=${s.erpUrl.port || 5432}
database.user=${decodeURIComponent(s.erpUrl.username || 'postgres')}
database.password=${decodeURIComponent(s.erpUrl.password || '')}
database.dbname=${decodeURIComponent(s.erpUrl.pathname.replace(/^\//, ''))}
topic.prefix=${ERP_TOPIC_PREFIX}
table.include.list=${ERP_TABLES.map((t) => `public.${t}`).join(',')}
slot.name=${s.slotName}
publication.name=${PUBLICATION_NAME}
# The script creates the publication for exactly the captured tables.
publication.autocreate.mode=disabled
# A consistent snapshot of existing rows (op "r") on the first start, and again whenever the stored
# offset is no longer available in the slot (slot dropped, recreated or invalidated); then streaming.
snapshot.mode=when_needed
# Money as a decimal string ("19.90"), not Kafka Connect's base64 BigDecimal bytes.
decimal.handling.mode=string
# A delete is followed by a tombstone, so compacted topics can drop the key.
tombstones.on.delete=true
# Idle databases still move the slot forward (WAL is not retained forever).
heartbeat.interval.ms=10000
`;
}

function log4jProperties() {
  return `# Written by scripts/debezium.mjs.
status = warn
${log4jRollingFile('file', '${sys:connect.logs.dir}/connect.log')}logger.reflections.name = org.reflections
logger.reflections.level = ERROR
`;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

/** The worker's pid when the pid file names a live ConnectStandalone of ours (guards pid reuse). */
function runningPid(s) {
  const pid = readPid(s.pidFile);
  return runsWith(pid, ['ConnectStandalone', s.workerFile]) ? pid : undefined;
}

/** Serialises concurrent starts; fn gets the pid of a worker already running (a concurrent start's), to reuse. */
function withDebeziumStartLock(s, fn) {
  const busy = (holder) => new DebeziumError(`another start (pid ${holder}) holds ${displayPath(s.lockFile)}`);
  return withStartLock({ dir: s.home, lockFile: s.lockFile, timeoutMs: s.timeoutMs, pollMs: 250, busy, runningPid: () => runningPid(s) }, fn);
}

/** The connector's and its task's state from the worker's REST API, or undefined. */
async function connectorStatus(s) {
  try {
    const response = await fetch(`http://127.0.0.1:${s.restPort}/connectors/${CONNECTOR_NAME}/status`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    return await response.json();
  } catch {
    return undefined;
  }
}

/** Brokers of the ConnectStandalone worker (any checkout) whose REST listener is our port, if any. */
function workerBrokersOnPort(port) {
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let args;
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args.includes('org.apache.kafka.connect.cli.ConnectStandalone')) continue;
    const workerFile = args.find((arg) => arg.endsWith('worker.properties'));
    try {
      const props = fs.readFileSync(workerFile, 'utf8');
      if (props.includes(`listeners=http://127.0.0.1:${port}\n`)) return { pid: Number(pid), brokers: /^bootstrap\.servers=(.*)$/m.exec(props)?.[1]?.trim(), workerFile };
    } catch {
      // not readable: not one of ours
    }
  }
  return undefined;
}

async function capturesSameDatabase(s) {
  const worker = workerBrokersOnPort(s.restPort);
  if (!worker || worker.brokers !== s.brokers) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${s.restPort}/connectors/${CONNECTOR_NAME}/config`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return false;
    const config = await response.json();
    return config['database.dbname'] === decodeURIComponent(s.erpUrl.pathname.slice(1)) && config['topic.prefix'] === ERP_TOPIC_PREFIX && config['slot.name'] === s.slotName;
  } catch {
    return false;
  }
}

/**
 * A slot that PostgreSQL invalidated (the WAL it needed went past max_slot_wal_keep_size while no
 * worker streamed) can never stream again, and Debezium waits for it until the start times out:
 * drop it, so the worker creates it anew and snapshots the tables (snapshot.mode=when_needed).
 */
async function dropLostSlot(s) {
  const sql = "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND wal_status = 'lost' AND NOT active";
  const dropped = await withPg(adminUrl(s), async (c) => (await c.query(sql, [s.slotName])).rowCount);
  if (dropped) s.log(`Replication slot ${s.slotName} was invalidated by PostgreSQL (its WAL is gone): dropped it, Debezium snapshots the ERP tables again`);
}

function isRunning(status) {
  return status?.connector?.state === 'RUNNING' && status.tasks?.length > 0 && status.tasks.every((t) => t.state === 'RUNNING');
}

async function waitForConnector(s, pid, logMark) {
  const deadline = Date.now() + s.timeoutMs;
  let status;
  while (Date.now() < deadline) {
    status = await connectorStatus(s);
    if (isRunning(status)) return status;
    const failed = status?.tasks?.find((t) => t.state === 'FAILED');
    if (failed) throw new DebeziumError(`the Debezium task failed: ${String(failed.trace ?? '').split('\n').slice(0, 3).join(' ')}`);
    if (pid && !isAlive(pid)) throw new DebeziumError(`Kafka Connect exited during start-up; its last log lines:\n${startLog(s, logMark)}`);
    await sleep(500);
  }
  throw new DebeziumError(`the Debezium connector was not RUNNING within ${s.timeoutMs / 1000} s (last status ${JSON.stringify(status)}); last log lines:\n${startLog(s, logMark)}`);
}

async function slotInUse(s) {
  const rows = await withPg(adminUrl(s), async (c) => (await c.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [s.slotName])).rows);
  return rows[0]?.active === true;
}

// ---------------------------------------------------------------------------------------------
// Commands

/** Starts everything Debezium needs and the worker; reuses a worker that already runs. */
export async function startDebezium(opts = {}) {
  const s = debeziumSettings(opts);
  const began = Date.now();
  return withDebeziumStartLock(s, async (existing) => {
    if (existing) {
      await waitForConnector(s, existing, 0);
      s.log(`Debezium already running (Kafka Connect pid ${existing}, REST 127.0.0.1:${s.restPort}), reusing it`);
      return { reused: true, pid: existing, topics: ERP_TOPICS, ms: Date.now() - began };
    }
    await capWalForAbandonedSlots(s);
    s.restPort = s.defaultRestPort;
    s.slotName = s.defaultSlot;
    let taken;
    if (!(await portFree('127.0.0.1', s.restPort))) {
      // Another checkout's worker (a fresh clone's test run on this machine) capturing the same
      // database into the same topics for the same broker does the same job: reuse it.
      if (await capturesSameDatabase(s)) {
        await waitForConnector(s, undefined, 0);
        s.log(`Debezium already running (a worker started elsewhere answers on 127.0.0.1:${s.restPort} for the same database), reusing it`);
        return { reused: true, pid: undefined, topics: ERP_TOPICS, ms: Date.now() - began };
      }
      const worker = workerBrokersOnPort(s.restPort);
      taken = worker ? `a Kafka Connect worker for ${worker.brokers} (pid ${worker.pid}, ${worker.workerFile}) holds port ${s.restPort}` : `another program holds port ${s.restPort}`;
    } else if (await slotInUse(s)) {
      taken = `another process streams from replication slot ${s.slotName}`;
    }
    if (taken) {
      // Never touch someone else's worker: run beside it, on a free port and a slot of this checkout.
      s.restPort = await freePort('127.0.0.1');
      s.slotName = `${s.defaultSlot}_${createHash('sha1').update(s.home).digest('hex').slice(0, 8)}`;
      s.log(`${taken}: this worker uses REST port ${s.restPort} and slot ${s.slotName}`);
    }
    await dropLostSlot(s);
    await startKafka({ log: s.log });
    await fetchConnectJars(opts);
    await ensureLogicalDecoding(opts);
    await ensureErpDatabase(opts);
    await ensureErpTopics(opts);
    fs.mkdirSync(s.logsDir, { recursive: true });
    fs.writeFileSync(s.workerFile, workerProperties(s));
    fs.writeFileSync(s.connectorFile, connectorProperties(s));
    fs.writeFileSync(s.log4jFile, log4jProperties());
    fs.writeFileSync(s.choiceFile, `${JSON.stringify({ restPort: s.restPort, slotName: s.slotName })}\n`);
    const logMark = fileSize(path.join(s.logsDir, 'connect.log'));
    const pid = spawnWorker(s);
    try {
      await waitForConnector(s, pid, logMark);
    } catch (error) {
      await stopDebezium({ ...opts, log: () => {} });
      throw error;
    }
    const ms = Date.now() - began;
    s.log(`Debezium ${s.debeziumVersion} on Kafka Connect ${s.kafkaVersion} capturing ${s.erpUrl.pathname.slice(1)} into ${ERP_TOPICS.join(', ')} (pid ${pid}, ${(ms / 1000).toFixed(1)} s)`);
    return { reused: false, pid, topics: ERP_TOPICS, ms };
  });
}

function spawnWorker(s) {
  const args = [
    ...(process.env.DEBEZIUM_HEAP_OPTS ?? '-Xms128m -Xmx384m').split(/\s+/).filter(Boolean),
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    ...javaBaseArgs({ logsDirProperty: 'connect.logs.dir', logsDir: s.logsDir, log4jFile: s.log4jFile, libDir: s.libDir }),
    'org.apache.kafka.connect.cli.ConnectStandalone',
    s.workerFile,
    s.connectorFile,
  ];
  return spawnJava({ args, cwd: s.home, outFile: path.join(s.logsDir, 'connect.out'), pidFile: s.pidFile, what: 'Kafka Connect', ErrorClass: DebeziumError });
}

/** SIGTERM (the worker flushes its offsets), SIGKILL after 30 s. */
export async function stopDebezium(opts = {}) {
  const s = debeziumSettings(opts);
  const pid = runningPid(s);
  if (!pid) {
    s.log('Debezium (Kafka Connect) is not running');
    return { stopped: false };
  }
  const killed = await terminate(pid, 30_000);
  fs.rmSync(s.pidFile, { force: true });
  if (s.slotName !== s.defaultSlot) {
    // A fallback slot belongs to this checkout alone: left behind it would only hold WAL back.
    await withPg(adminUrl(s), (c) => c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [s.slotName])).catch(() => undefined);
  }
  s.log(killed ? `Kafka Connect (pid ${pid}) did not stop within 30 s and was killed` : `Debezium stopped (Kafka Connect pid ${pid})`);
  return { stopped: true, pid, killed };
}

export async function debeziumStatus(opts = {}) {
  const s = debeziumSettings(opts);
  const pid = runningPid(s);
  const status = pid ? await connectorStatus(s) : undefined;
  if (!pid) s.log('Debezium (Kafka Connect) is not running');
  else s.log(`Kafka Connect pid ${pid}: connector ${status?.connector?.state ?? 'unknown'}, tasks ${(status?.tasks ?? []).map((t) => t.state).join(',') || 'none'}`);
  return { running: Boolean(pid), connectorRunning: isRunning(status), pid };
}

/** Stops the worker, forgets its offsets and drops the replication slot: the next start snapshots anew. */
export async function wipeDebezium(opts = {}) {
  const s = debeziumSettings(opts);
  await stopDebezium(opts);
  fs.rmSync(s.offsetsFile, { force: true });
  await withPg(adminUrl(s), (c) => c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [s.slotName])).catch(() => undefined);
  s.log('Debezium offsets and replication slot removed (ERP database and topics kept)');
}

// ---------------------------------------------------------------------------------------------
// Helpers

function startLog(s, from) {
  const parts = [];
  for (const [name, mark] of [['connect.log', from], ['connect.out', 0]]) {
    const file = path.join(s.logsDir, name);
    const lines = linesSince(file, mark);
    if (!lines) continue; // no such log yet
    const interesting = lines.filter((l) => /ERROR|Exception|Caused by/.test(l)).slice(-8);
    parts.push(`${displayPath(file)}:\n${(interesting.length ? interesting : lines.slice(-10)).join('\n')}`);
  }
  return parts.join('\n') || '(no log)';
}

// ---------------------------------------------------------------------------------------------
// CLI

const COMMANDS = {
  start: () => startDebezium(),
  stop: () => stopDebezium(),
  status: async () => {
    if (!(await debeziumStatus()).connectorRunning) process.exitCode = 1;
  },
  wipe: () => wipeDebezium(),
};

if (isMain(import.meta.url)) {
  await runCli(process.argv.slice(2), { commands: COMMANDS, usage: `usage: node scripts/debezium.mjs ${Object.keys(COMMANDS).join('|')}`, ErrorClass: DebeziumError });
}
