import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import { freePort } from '@tandem/observability';

export { freePort };

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type ServiceName = 'api' | 'connectors' | 'identity';

const PORT_SETTING: Record<ServiceName, string> = { api: 'API_PORT', connectors: 'CONNECTORS_PORT', identity: 'IDENTITY_PORT' };

/** A compiled app running as its own process, as in production, with its log lines captured. */
export interface RunningService {
  name: ServiceName;
  url: string;
  port: number;
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `dist/apps/<name>/src/main.js` (built by `npm test`) on a free port. */
export async function startService(name: ServiceName, env: Record<string, string> = {}): Promise<RunningService> {
  const port = env[PORT_SETTING[name]] ? Number(env[PORT_SETTING[name]]) : await freePort();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', STARTUP_TIMEOUT_MS: '20000', ...env, [PORT_SETTING[name]]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Polls until `probe` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** Waits until the service answers GET /health/ready with `status`. */
export async function waitForReadiness(service: RunningService, status = 200, timeoutMs = 60000): Promise<unknown> {
  return eventually(async () => {
    if (service.process.exitCode !== null) throw new Error(`${service.name} exited: ${service.stderr()}`);
    const response = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(5000) });
    return response.status === status ? response.json() : undefined;
  }, timeoutMs, `${service.name} readiness ${status}`);
}
