// A Java program run in the background from jars that Maven fetched, as scripts/kafka.mjs (the
// broker) and scripts/debezium.mjs (the Kafka Connect worker) do: the jars, the java command line,
// pid files, a start lock, stopping, ports, logs and the command-line entry. Node built-ins only:
// those scripts run before (or without) node_modules.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './workspace.mjs';

/** A problem the user can act on: the CLI prints only its message (no stack) and exits 1. */
export class ScriptError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Jars

/** A pom is the one place a version is written down. */
export function pomProperty(pomFile, name, ErrorClass) {
  const pom = fs.readFileSync(pomFile, 'utf8');
  const match = pom.match(new RegExp(`<${name.replace('.', '\\.')}>([^<]+)</`));
  if (!match) throw new ErrorClass(`${displayPath(pomFile)} has no <${name}> property`);
  return match[1].trim();
}

const MARKER = '.fetched';

/**
 * Copies a pom's runtime classpath into s.libDir with Maven (`-D<libDirProperty>=` names the
 * folder), once: the marker file makes later runs skip Maven (instant, offline). Fetches into a
 * temporary folder and renames it, so an interrupted fetch never leaves a half classpath behind.
 * Maven's output goes to s.logsDir/maven-fetch.log.
 *
 * jars: { pomFile, expectedJar (proves the fetch worked), libDirProperty, marker (the versions,
 * written into the marker file), notice (logged before fetching), mavenMissing (the error without
 * mvn), failed (the start of the error when Maven fails), ErrorClass }
 */
export async function fetchMavenJars(s, jars) {
  if (jarsPresent(s.libDir, jars.marker)) return { fetched: false, libDir: s.libDir };
  const probe = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new jars.ErrorClass(jars.mavenMissing);
  s.log(jars.notice);
  const tmpDir = `${s.libDir}.tmp-${process.pid}`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(s.logsDir, { recursive: true });
  const fetchLog = path.join(s.logsDir, 'maven-fetch.log');
  const code = await runToFile('mvn', ['-B', '-q', '-Dstyle.color=never', '-f', jars.pomFile, 'dependency:copy-dependencies', `-D${jars.libDirProperty}=${tmpDir}`], fetchLog);
  if (code !== 0 || !fs.existsSync(path.join(tmpDir, jars.expectedJar))) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw new jars.ErrorClass(`${jars.failed} (exit ${code}); last lines of ${fetchLog}:\n${tail(fetchLog, 20)}`);
  }
  fs.writeFileSync(path.join(tmpDir, MARKER), `${jars.marker}\n`);
  fs.rmSync(s.libDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, s.libDir);
  return { fetched: true, libDir: s.libDir };
}

function jarsPresent(libDir, marker) {
  try {
    return fs.readFileSync(path.join(libDir, MARKER), 'utf8').trim() === marker;
  } catch {
    return false;
  }
}

/** Runs a command from the repository root with its output in logFile; resolves its exit code (-1: could not run). */
export function runToFile(command, args, logFile) {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

// ---------------------------------------------------------------------------------------------
// Java

/**
 * log4j2 properties for one rolling file (up to 3 more of 10 MB beside it) named `appender`, and
 * the root logger at INFO writing to it. `file` may hold log4j lookups such as ${sys:x.logs.dir}.
 */
export function log4jRollingFile(appender, file) {
  return `appender.${appender}.type = RollingFile
appender.${appender}.name = ${appender}
appender.${appender}.fileName = ${file}
appender.${appender}.filePattern = ${file}.%i
appender.${appender}.layout.type = PatternLayout
appender.${appender}.layout.pattern = [%d] %p %m (%c)%n
appender.${appender}.policies.type = Policies
appender.${appender}.policies.size.type = SizeBasedTriggeringPolicy
appender.${appender}.policies.size.size = 10MB
appender.${appender}.strategy.type = DefaultRolloverStrategy
appender.${appender}.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.${appender}.ref = ${appender}
`;
}

export function javaCommand() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** The JVM options every program here runs with, up to the main class: its log folder under -D<logsDirProperty>. */
export function javaBaseArgs({ logsDirProperty, logsDir, log4jFile, libDir }) {
  return [
    '-Djava.awt.headless=true',
    `-D${logsDirProperty}=${logsDir}`,
    `-Dlog4j2.configurationFile=${log4jFile}`,
    '-cp',
    path.join(libDir, '*'), // expanded by java itself, not a shell
  ];
}

/**
 * Starts java in the background with stdout and stderr appended to outFile and its pid written to
 * pidFile. detached: its own process group, so it outlives this script and a Ctrl-C in its terminal.
 */
export function spawnJava({ args, cwd, outFile, pidFile, what, ErrorClass }) {
  const out = fs.openSync(outFile, 'a');
  const child = spawn(javaCommand(), args, { cwd, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.on('error', () => {}); // reported below: a failed spawn has no pid
  if (!child.pid) throw new ErrorClass(`Could not run ${javaCommand()} to start ${what}`);
  child.unref();
  fs.writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

// ---------------------------------------------------------------------------------------------
// Processes

export function readPid(pidFile) {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) still answers kill(0).
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** True when pid is alive and its command line holds every one of `parts` (guards against pid reuse). */
export function runsWith(pid, parts) {
  if (!pid || !isAlive(pid)) return false;
  let cmdline;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    cmdline = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  }
  return parts.every((part) => cmdline.includes(part));
}

/** SIGTERM, then SIGKILL when it has not exited within graceMs; resolves whether it had to be killed. */
export async function terminate(pid, graceMs) {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return false;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 10_000);
  return true;
}

/** Sends a signal; a process that has just exited by itself is not an error. */
function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch (err) {
    if (err.code !== 'ESRCH') throw err;
  }
}

async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/**
 * Serialises concurrent starts (scripts/start.mjs and scripts/test.mjs may both start the same
 * program): the second one waits, then finds the first one's process and reuses it. fn gets what
 * runningPid() finds once the lock is held. A lock whose holder died is taken over; busy(holder)
 * is the error once timeoutMs has passed.
 */
export async function withStartLock({ dir, lockFile, timeoutMs, pollMs, busy, runningPid }, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = lockHolder(lockFile);
      if (holder && !isAlive(holder)) fs.rmSync(lockFile, { force: true }); // left by a crashed start
      else if (Date.now() > deadline) throw busy(holder);
      else await sleep(pollMs);
    }
  }
  try {
    return await fn(runningPid());
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/** The pid in the lock file; 0 while its creator has not written it yet (or it just went away). */
function lockHolder(lockFile) {
  try {
    return Number(fs.readFileSync(lockFile, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

/** Whether nothing listens on host:port (probed by listening there exclusively for a moment). */
export function portFree(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port on host that the system had free a moment ago. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Files and logs

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path.basename(file)})`;
  }
}

/** The lines written to file since it was `from` bytes long (all of it if it rolled over); undefined when unreadable. */
export function linesSince(file, from) {
  let text;
  try {
    text = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  return text
    .subarray(from <= text.length ? from : 0)
    .toString('utf8')
    .trimEnd()
    .split('\n');
}

/** Repository-relative inside the repository, absolute elsewhere. */
export function displayPath(file) {
  const relative = path.relative(REPO_ROOT, file);
  return relative && !relative.startsWith('..') ? relative : file;
}

// ---------------------------------------------------------------------------------------------
// Command line

/** Whether the module at moduleUrl is the script node was asked to run. */
export function isMain(moduleUrl) {
  return Boolean(process.argv[1]) && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}

/**
 * Runs commands[argv[0]] with the other arguments; prints usage (exit 2) for an unknown command.
 * Expected problems (an ErrorClass) are one clear line; anything else is a bug and keeps its stack.
 */
export async function runCli(argv, { commands, usage, ErrorClass }) {
  const command = commands[argv[0]];
  if (!command) {
    console.error(usage);
    process.exitCode = 2;
    return;
  }
  try {
    await command(...argv.slice(1));
  } catch (err) {
    console.error(err instanceof ErrorClass ? err.message : err);
    process.exitCode = 1;
  }
}
