// Starting and stopping the three apps as child processes, for `npm start` and the e2e tests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './workspace.mjs';

export const SERVICES = [
  // A larger young generation (V8's default is 16 MB) for the apps that allocate short-lived objects
  // per event or row: garbage collection took ~15% of the connectors' CPU; the resolver's CPU per event
  // fell 13-26% in bench:pipeline (200k events, two alternating pairs); an audience of 100,000 rows
  // took ~5% less of the API's CPU (bench:api, five alternating pairs; lookups alike). The resolver
  // takes 128: at 900k-1M records its CPU per event was 399/499 µs with 64 and 362/350 with 128
  // (bench:pipeline --population 900000, two alternating pairs; noisy, the direction held in both).
  { name: 'api', portSetting: 'API_PORT', port: 3000, nodeFlags: ['--max-semi-space-size=64'] },
  { name: 'connectors', portSetting: 'CONNECTORS_PORT', port: 3001, nodeFlags: ['--max-semi-space-size=64'] },
  { name: 'identity', portSetting: 'IDENTITY_PORT', port: 3002, nodeFlags: ['--max-semi-space-size=256'] },
];

/** Spawns `node dist/apps/<name>/src/main.js`; its JSON log lines go to `logFile`. */
export function spawnService(service, env, logFile) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(service.nodeFlags ?? []), path.join(REPO_ROOT, 'dist', 'apps', service.name, 'src', 'main.js')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', out, 'pipe'],
  });
  fs.closeSync(out);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    fs.appendFileSync(logFile, chunk);
  });
  child.lastError = () => stderr.trim().split('\n').filter(Boolean).pop() ?? '';
  return child;
}

/** Resolves once GET /health/ready answers 200; rejects if the process exits or time runs out. */
export async function waitUntilReady(child, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  while (Date.now() < deadline) {
    if (exited) throw new Error(child.lastError() || `stopped (${exited}) before it was ready`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`not ready after ${Math.round(timeoutMs / 1000)} s`);
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
