#!/usr/bin/env node
// Local Apache Kafka broker for development and tests: one combined KRaft broker+controller on
// loopback, run from jars that Maven fetches once into .kafka/lib/<version>/ (scripts/kafka/pom.xml).
//
//   node scripts/kafka.mjs start|wait [seconds]|stop|status|wipe
//
// Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HOME_DIR (<repo>/.kafka: config,
// data, logs, pid), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m). The jars always live in <repo>/.kafka/lib
// so a second broker elsewhere shares them; `npm test` runs one of its own (testKafkaOptions).
//
// Node built-ins only: this runs before (or without) node_modules.

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { displayPath, fetchMavenJars, fileSize, isAlive, isMain, javaBaseArgs, javaCommand, linesSince, log4jRollingFile, pomProperty, portFree, readPid, runCli, runsWith, runToFile, ScriptError, sleep, spawnJava, tail, terminate, withStartLock } from './lib/jvm.mjs';
import { REPO_ROOT } from './lib/workspace.mjs';

const POM = path.join(REPO_ROOT, 'scripts', 'kafka', 'pom.xml');
const LIB_ROOT = path.join(REPO_ROOT, '.kafka', 'lib');
const HOST = '127.0.0.1';
const NODE_ID = 1;
const DOCKER_HINT = 'or run the stack with Docker: docker compose -f docker/compose.yaml up';
const DEFAULT_HEAP = '-Xms256m -Xmx512m';

/** A problem the user can act on: the CLI prints only its message (no stack) and exits 1. */
export class KafkaError extends ScriptError {}

// ---------------------------------------------------------------------------------------------
// Settings

/** Resolves options (or env, or defaults) into every path and port the other functions use. */
export function kafkaSettings(opts = {}) {
  const home = path.resolve(opts.home ?? process.env.KAFKA_HOME_DIR ?? path.join(REPO_ROOT, '.kafka'));
  const version = pomProperty(POM, 'kafka.version', KafkaError);
  return {
    version,
    host: HOST,
    port: toPort(opts.port ?? process.env.KAFKA_PORT ?? 9092, 'KAFKA_PORT'),
    controllerPort: toPort(opts.controllerPort ?? process.env.KAFKA_CONTROLLER_PORT ?? 9093, 'KAFKA_CONTROLLER_PORT'),
    home,
    libDir: path.join(LIB_ROOT, version),
    dataDir: path.join(home, 'data'),
    logsDir: path.join(home, 'logs'),
    propsFile: path.join(home, 'server.properties'),
    log4jFile: path.join(home, 'log4j2.properties'),
    pidFile: path.join(home, 'kafka.pid'),
    lockFile: path.join(home, 'start.lock'),
    clusterIdFile: path.join(home, 'cluster-id'),
    heapOpts: (opts.heapOpts ?? process.env.KAFKA_HEAP_OPTS ?? DEFAULT_HEAP).split(/\s+/).filter(Boolean),
    timeoutMs: opts.timeoutMs ?? 90_000,
    log: opts.log ?? ((line) => console.log(line)),
  };
}

/**
 * Where `npm test` runs its broker: a folder and ports of its own (`.kafka/test`, TEST_KAFKA_PORT
 * 9094 and TEST_KAFKA_CONTROLLER_PORT 9095 by default), so the topics the suites write never reach
 * the apps `npm start` runs on the dev broker, and a running `npm start` is left alone. As
 * {@link kafkaSettings} options; {@link testKafkaEnv} gives the same as the env the suites inherit.
 */
export function testKafkaOptions(env = process.env) {
  const port = toPort(env.TEST_KAFKA_PORT ?? 9094, 'TEST_KAFKA_PORT');
  const controllerPort = toPort(env.TEST_KAFKA_CONTROLLER_PORT ?? port + 1, 'TEST_KAFKA_CONTROLLER_PORT');
  return { home: path.join(REPO_ROOT, '.kafka', 'test'), port, controllerPort };
}

/** {@link testKafkaOptions} as KAFKA_* variables, for the scripts and suites `npm test` runs (Debezium's worker follows them). */
export function testKafkaEnv(env = process.env) {
  const o = testKafkaOptions(env);
  return { KAFKA_HOME_DIR: o.home, KAFKA_PORT: String(o.port), KAFKA_CONTROLLER_PORT: String(o.controllerPort) };
}

function toPort(value, name) {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new KafkaError(`${name} must be a TCP port, got "${value}"`);
  return port;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites and jars

/** Fails with one line (no stack) when Java 17+ cannot be run. */
function requireJava() {
  const result = spawnSync(javaCommand(), ['-version'], { encoding: 'utf8' });
  const where = process.env.JAVA_HOME ? `at ${javaCommand()}` : 'on PATH';
  if (result.error || result.status !== 0) {
    throw new KafkaError(`Java 17 is required to run the local Kafka broker (not found ${where}); ${DOCKER_HINT}`);
  }
  // `java -version` prints e.g. `openjdk version "17.0.15"` (or "1.8.0_x" for Java 8) on stderr.
  const match = /version "(?:1\.)?(\d+)/.exec(result.stderr);
  const major = match ? Number(match[1]) : 0;
  if (major < 17) {
    throw new KafkaError(`Java 17 is required to run the local Kafka broker (found Java ${major || '?'} ${where}); ${DOCKER_HINT}`);
  }
}

/** Copies the broker's runtime classpath into .kafka/lib/<version>/ with Maven, once. */
export async function fetchKafkaJars(opts = {}) {
  const s = kafkaSettings(opts);
  return fetchMavenJars(s, {
    pomFile: POM,
    expectedJar: `kafka_2.13-${s.version}.jar`,
    libDirProperty: 'kafka.lib.dir',
    marker: s.version,
    notice: `Fetching Kafka ${s.version} jars with Maven into ${displayPath(s.libDir)} (first run only)`,
    mavenMissing: `Maven is required to fetch the Kafka jars the first time (mvn not found on PATH); ${DOCKER_HINT}`,
    failed: `Fetching the Kafka ${s.version} jars with Maven failed`,
    ErrorClass: KafkaError,
  });
}

// ---------------------------------------------------------------------------------------------
// Configuration files

function serverProperties(s) {
  return `# Written by scripts/kafka.mjs on every start: edit the script, not this file.
process.roles=broker,controller
node.id=${NODE_ID}
controller.quorum.voters=${NODE_ID}@${s.host}:${s.controllerPort}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://${s.host}:${s.port},CONTROLLER://${s.host}:${s.controllerPort}
advertised.listeners=PLAINTEXT://${s.host}:${s.port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${s.dataDir}

# The project creates every topic explicitly; a typo must fail, not create a topic.
auto.create.topics.enable=false
num.partitions=6

# One node: internal topics cannot have Kafka's default of 3 replicas.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the default 50: less to create and open on a dev box.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=4

# Tests join groups constantly: do not wait 3 s for more members.
group.initial.rebalance.delay.ms=0

# Small segments and short retention: a dev box, not a data store.
log.segment.bytes=16777216
log.retention.hours=24
log.retention.bytes=268435456
log.retention.check.interval.ms=60000
num.recovery.threads.per.data.dir=1
# The log cleaner (compacting __consumer_offsets) otherwise keeps a 128 MiB buffer on the heap.
log.cleaner.dedupe.buffer.size=16777216

# After a hard kill the controller refuses the broker's re-registration until the old session
# expires (default 9 s); on loopback in one JVM a shorter session is safe.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000

# Two cores: Kafka's default thread pools are sized for servers.
num.network.threads=2
num.io.threads=4
background.threads=4
`;
}

/** One rolling file under logs/: the terminal stays quiet, and a failed start can show its tail. */
function log4jProperties() {
  return `# Written by scripts/kafka.mjs.
status = warn
# Kafka logs its own shutdown from a JVM shutdown hook; log4j2's hook would close the file first.
shutdownHook = disable
${log4jRollingFile('server', '${sys:kafka.logs.dir}/${sys:kafka.log.file:-server.log}')}logger.request.name = kafka.request.logger
logger.request.level = WARN
`;
}

function writeConfig(s) {
  for (const dir of [s.home, s.dataDir, s.logsDir]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(s.propsFile, serverProperties(s));
  fs.writeFileSync(s.log4jFile, log4jProperties());
}

/** Same format as Kafka's Uuid.randomUuid().toString(): 16 random bytes, base64url, no padding. */
function newClusterId() {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka rejects ids that look like command-line flags
  }
}

function clusterId(s) {
  if (!fs.existsSync(s.clusterIdFile)) fs.writeFileSync(s.clusterIdFile, `${newClusterId()}\n`);
  return fs.readFileSync(s.clusterIdFile, 'utf8').trim();
}

function kafkaJavaArgs(s) {
  return javaBaseArgs({ logsDirProperty: 'kafka.logs.dir', logsDir: s.logsDir, log4jFile: s.log4jFile, libDir: s.libDir });
}

/** Formats the KRaft data folder once; meta.properties marks a formatted folder. */
async function formatStorage(s) {
  if (fs.existsSync(path.join(s.dataDir, 'meta.properties'))) return;
  const id = clusterId(s);
  s.log(`Formatting Kafka storage in ${displayPath(s.dataDir)}`);
  const logFile = path.join(s.logsDir, 'format.log');
  // The tool logs its whole config: keep that out of server.log, where start-up failures are read.
  const args = ['-Xmx128m', '-Dkafka.log.file=storage-tool.log', ...kafkaJavaArgs(s), 'kafka.tools.StorageTool', 'format', '-t', id, '-c', s.propsFile, '-g'];
  const code = await runToFile(javaCommand(), args, logFile);
  if (code !== 0) throw new KafkaError(`Formatting Kafka storage failed (exit ${code}); last lines of ${logFile}:\n${tail(logFile, 20)}`);
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

/** The pid of our running broker, dropping a stale pid file. */
function runningPid(s) {
  const pid = readPid(s.pidFile);
  if (runsWith(pid, ['kafka.Kafka', s.propsFile])) return pid;
  if (pid !== undefined) fs.rmSync(s.pidFile, { force: true });
  return undefined;
}

/** Serialises concurrent starts; fn gets the pid of a broker already running (a concurrent start's), to reuse. */
function withKafkaStartLock(s, fn) {
  const busy = (holder) => new KafkaError(`Another start (pid ${holder}) still holds ${s.lockFile}`);
  return withStartLock({ dir: s.home, lockFile: s.lockFile, timeoutMs: s.timeoutMs, pollMs: 200, busy, runningPid: () => runningPid(s) }, fn);
}

/** Fails with a clear line when another program holds a port Kafka needs (we never reuse it). */
async function requirePortsFree(s) {
  const wanted = [
    [s.port, 'client', 'KAFKA_PORT'],
    [s.controllerPort, 'controller', 'KAFKA_CONTROLLER_PORT'],
  ];
  for (const [port, listener, envName] of wanted) {
    if (!(await portFree(s.host, port))) {
      throw new KafkaError(`Port ${port} on ${s.host} is already in use by another program; Kafka wanted it for its ${listener} listener (stop that program or set ${envName} to a free port)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Readiness: a Metadata request over the wire, no client library

/**
 * Sends Metadata v6 (the version kafkajs 2.2.4 uses) asking for no topics and decodes the broker
 * list and cluster id. Resolves undefined when the broker does not answer in time.
 */
export function probeBroker({ host = HOST, port, timeoutMs = 2000 }) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffer = Buffer.alloc(0);
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(metadataRequest(7)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length >= 4 && buffer.length >= 4 + buffer.readInt32BE(0)) {
        try {
          done(decodeMetadata(buffer.subarray(4, 4 + buffer.readInt32BE(0)), 7));
        } catch {
          done(undefined);
        }
      }
    });
  });
}

function metadataRequest(correlationId) {
  const clientId = Buffer.from('tandem-kafka-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api_key: Metadata
  o = body.writeInt16BE(6, o); // api_version
  o = body.writeInt32BE(correlationId, o);
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(0, o); // topics: empty array = none (null would mean all)
  body.writeInt8(0, o); // allow_auto_topic_creation
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function decodeMetadata(frame, expectedCorrelationId) {
  let o = 0;
  const int16 = () => ((o += 2), frame.readInt16BE(o - 2));
  const int32 = () => ((o += 4), frame.readInt32BE(o - 4));
  const string = () => {
    const len = int16();
    if (len < 0) return null;
    o += len;
    return frame.toString('utf8', o - len, o);
  };
  if (int32() !== expectedCorrelationId) throw new Error('unexpected correlation id');
  int32(); // throttle_time_ms
  const brokers = [];
  for (let n = int32(); n > 0; n--) brokers.push({ nodeId: int32(), host: string(), port: int32(), rack: string() });
  return { brokers, clusterId: string(), controllerId: int32() };
}

/** Ready = our node answers Metadata on its client port, listing itself, under our cluster id. */
async function isReady(s) {
  const metadata = await probeBroker({ host: s.host, port: s.port });
  if (!metadata) return false;
  const expectedId = fs.existsSync(s.clusterIdFile) ? clusterId(s) : metadata.clusterId;
  return metadata.clusterId === expectedId && metadata.brokers.some((b) => b.nodeId === NODE_ID && b.port === s.port);
}

/**
 * Waits until the broker is ready. With opts.pid it fails as soon as that process dies, and
 * opts.logMarks limits the log lines it shows to what that start wrote.
 */
export async function waitForKafka(opts = {}) {
  const s = kafkaSettings(opts);
  const deadline = Date.now() + s.timeoutMs;
  while (Date.now() < deadline) {
    if (await isReady(s)) return true;
    if (opts.pid && !isAlive(opts.pid)) {
      throw new KafkaError(`Kafka exited during start-up; its last log lines:\n${startLog(s, opts.logMarks)}`);
    }
    await sleep(250);
  }
  const notReady = `Kafka did not become ready on ${s.host}:${s.port} within ${s.timeoutMs / 1000} s`;
  // Our broker's log says why; with none running, an old log would only mislead.
  if (!runningPid(s)) throw new KafkaError(`${notReady} (no broker started by scripts/kafka.mjs is running)`);
  throw new KafkaError(`${notReady}; its last log lines:\n${startLog(s, opts.logMarks)}`);
}

// ---------------------------------------------------------------------------------------------
// Commands

/**
 * Starts the broker in the background (fetching jars and formatting storage when needed) and
 * resolves once it answers Metadata. Reuses a healthy broker that this script started earlier.
 */
export async function startKafka(opts = {}) {
  const s = kafkaSettings(opts);
  const began = Date.now();
  return withKafkaStartLock(s, async (existing) => {
    if (existing) {
      await waitForKafka({ ...opts, pid: existing });
      s.log(`Kafka ${s.version} already running on ${s.host}:${s.port} (pid ${existing}), reusing it`);
      return { reused: true, pid: existing, brokers: `${s.host}:${s.port}`, ms: Date.now() - began };
    }
    requireJava();
    await requirePortsFree(s);
    await fetchKafkaJars(opts);
    writeConfig(s);
    await formatStorage(s);
    const logMarks = { server: fileSize(serverLog(s)), out: fileSize(outLog(s)) };
    const pid = spawnBroker(s);
    try {
      await waitForKafka({ ...opts, pid, logMarks });
    } catch (err) {
      // Leave nothing half-started behind: the next start would otherwise wait on it again.
      await stopKafka({ ...opts, log: () => {} });
      throw err;
    }
    const ms = Date.now() - began;
    s.log(`Kafka ${s.version} ready on ${s.host}:${s.port} (controller ${s.host}:${s.controllerPort}, pid ${pid}, ${(ms / 1000).toFixed(1)} s)`);
    return { reused: false, pid, brokers: `${s.host}:${s.port}`, ms };
  });
}

function spawnBroker(s) {
  const args = [
    ...s.heapOpts,
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    ...kafkaJavaArgs(s),
    'kafka.Kafka',
    s.propsFile,
  ];
  return spawnJava({ args, cwd: s.home, outFile: outLog(s), pidFile: s.pidFile, what: 'Kafka', ErrorClass: KafkaError });
}

/** SIGTERM (controlled shutdown), wait for the exit, SIGKILL after the timeout. */
export async function stopKafka(opts = {}) {
  const s = kafkaSettings({ timeoutMs: 30_000, ...opts });
  const pid = runningPid(s);
  if (!pid) {
    s.log('Kafka is not running');
    return { stopped: false };
  }
  const killed = await terminate(pid, s.timeoutMs);
  fs.rmSync(s.pidFile, { force: true });
  s.log(killed ? `Kafka (pid ${pid}) did not stop within ${s.timeoutMs / 1000} s and was killed` : `Kafka stopped (pid ${pid})`);
  return { stopped: true, pid, killed };
}

/** Whether our broker runs and answers; never starts anything. */
export async function kafkaStatus(opts = {}) {
  const s = kafkaSettings(opts);
  const pid = runningPid(s);
  const ready = pid ? await isReady(s) : false;
  const status = { running: Boolean(pid), ready, pid, brokers: `${s.host}:${s.port}`, version: s.version, rssKiB: pid ? rssKiB(pid) : undefined };
  if (!pid) s.log(`Kafka is not running (${s.host}:${s.port})`);
  else if (ready) s.log(`Kafka ${s.version} running on ${s.host}:${s.port} (pid ${pid}, RSS ${Math.round((status.rssKiB ?? 0) / 1024)} MiB)`);
  else s.log(`Kafka process ${pid} is running but not answering on ${s.host}:${s.port}`);
  return status;
}

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return undefined;
  }
}

/**
 * Stops the broker and deletes its data, logs and config; the jars stay. Deletes only what this
 * script writes, so a mistaken KAFKA_HOME_DIR cannot take anything else with it.
 */
export async function wipeKafka(opts = {}) {
  const s = kafkaSettings(opts);
  await stopKafka(opts);
  for (const entry of [s.dataDir, s.logsDir, s.propsFile, s.log4jFile, s.pidFile, s.lockFile, s.clusterIdFile]) {
    fs.rmSync(entry, { recursive: true, force: true });
  }
  s.log(`Kafka data and logs deleted from ${displayPath(s.home)} (jars kept)`);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function serverLog(s) {
  return path.join(s.logsDir, 'server.log');
}

/** The JVM's own stdout/stderr: a JVM that cannot start Kafka at all only writes here. */
function outLog(s) {
  return path.join(s.logsDir, 'kafka.out');
}

/** The last lines written to file since it was `from` bytes long (all of it if it rolled over). */
function lastLinesSince(file, from, lines) {
  return (linesSince(file, from) ?? []).slice(-lines).join('\n').trim();
}

function startLog(s, marks = { server: 0, out: 0 }) {
  const parts = [];
  const server = lastLinesSince(serverLog(s), marks.server, 20);
  if (server) parts.push(`${displayPath(serverLog(s))}:\n${server}`);
  const out = lastLinesSince(outLog(s), marks.out, 10);
  if (out) parts.push(`${displayPath(outLog(s))}:\n${out}`);
  return parts.join('\n') || '(the broker wrote no log)';
}

// ---------------------------------------------------------------------------------------------
// CLI

const COMMANDS = {
  start: () => startKafka(),
  wait: async (seconds = '90') => {
    const timeoutMs = Number(seconds) * 1000;
    if (!(timeoutMs > 0)) throw new KafkaError(`wait takes a timeout in seconds, got "${seconds}"`);
    const s = kafkaSettings({ timeoutMs });
    await waitForKafka({ timeoutMs });
    s.log(`Kafka ready on ${s.host}:${s.port}`);
  },
  stop: () => stopKafka(),
  status: async () => {
    if (!(await kafkaStatus()).ready) process.exitCode = 1;
  },
  wipe: () => wipeKafka(),
};

if (isMain(import.meta.url)) {
  await runCli(process.argv.slice(2), { commands: COMMANDS, usage: 'usage: node scripts/kafka.mjs start|wait [seconds]|stop|status|wipe', ErrorClass: KafkaError });
}
