import { SingleBar } from 'cli-progress';
import { Args, CommandGroup, UsageError } from '../command';

const DEFAULT_URL = 'http://127.0.0.1:3001';
/** A connector claims a resync at its next step; one that does not within this time is not running. */
const PICKUP_TIMEOUT_MS = 60_000;

interface ConnectorView {
  name: string;
  kind: string;
  state: string;
  cursor: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  errorCount: number;
  eventsTotal: number;
  deadLetteredTotal: number;
  lagSeconds: number | null;
  eventsPerSecond: number;
  backingOffUntil: string | null;
  resync: { requested: boolean; startedAt: string | null; finishedAt: string | null; events: number; total: number | null };
}

/**
 * Calls the connectors app's HTTP API (`CONNECTORS_URL`, default http://127.0.0.1:3001). An error
 * answer becomes an Error with the server's message; an unreachable app says which URL was tried.
 */
export async function connectorsApi<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const base = process.env.CONNECTORS_URL ?? DEFAULT_URL;
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method: init.method ?? 'GET',
      headers: init.body !== undefined ? { 'content-type': 'application/json' } : {},
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(15000),
    });
  } catch (error) {
    throw new Error(`cannot reach the connectors app at ${base} (is it running? set CONNECTORS_URL): ${(error as Error).message}`);
  }
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const message = (body as { message?: unknown } | undefined)?.message ?? response.statusText;
    if (response.status === 400 || response.status === 404) throw new UsageError(String(message));
    // Refused as asked (a connector that cannot resync): the reason is the whole message.
    if (response.status === 409) throw new Error(String(message));
    throw new Error(`connectors app answered ${response.status}: ${String(message)}`);
  }
  return body as T;
}

/** `connectors list|pause|resume|resync`: IT's levers on the running connectors. */
export const connectorsCommand: CommandGroup = {
  name: 'connectors',
  summary: 'source connectors: state, lag and counts; pause, resume, resync',
  usage: [
    'list [--json]',
    'pause NAME',
    'resume NAME',
    'resync NAME [--from CURSOR] [--no-wait]   from the beginning unless --from; shows progress until done',
  ],
  async run(args: Args): Promise<void> {
    const [command, name] = args.positional;
    if (command === 'list') return list(args.options.json === true);
    if (!['pause', 'resume', 'resync'].includes(command ?? '')) throw new UsageError('connectors: use list, pause, resume or resync (see --help)');
    if (!name) throw new UsageError(`connectors ${command}: name the connector (see connectors list)`);
    const path = `/v1/connectors/${encodeURIComponent(name)}`;
    if (command === 'pause' || command === 'resume') {
      const status = await connectorsApi<ConnectorView>(`${path}/${command}`, { method: 'POST' });
      process.stdout.write(`${status.name}: ${status.state}\n`);
      return;
    }
    const from = args.options.from;
    if (from === true) throw new UsageError('--from needs a cursor (or leave it out to resync from the beginning)');
    await connectorsApi<ConnectorView>(`${path}/resync`, { method: 'POST', body: from ? { fromCursor: from } : { fromBeginning: true } });
    process.stdout.write(`${name}: resync requested from ${from ?? 'the beginning'}\n`);
    if (args.options['no-wait'] !== true) await followResync(path);
  },
};

async function list(json: boolean): Promise<void> {
  const connectors = await connectorsApi<ConnectorView[]>('/v1/connectors');
  if (json) {
    process.stdout.write(`${JSON.stringify(connectors, null, 2)}\n`);
    return;
  }
  const rows = connectors.map((c) => [
    c.name,
    c.kind,
    c.state,
    c.lastSuccessAt ? ago(c.lastSuccessAt) : 'never',
    c.lagSeconds === null ? '-' : `${c.lagSeconds.toFixed(1)}s`,
    String(c.eventsPerSecond),
    String(c.eventsTotal),
    String(c.deadLetteredTotal),
    String(c.errorCount),
    c.cursor ?? '-',
  ]);
  const header = ['NAME', 'KIND', 'STATE', 'LAST SUCCESS', 'LAG', 'EVENTS/S', 'EVENTS', 'DEAD', 'ERRORS', 'CURSOR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}\n`);
  if (!rows.length) process.stdout.write('(no connectors registered yet)\n');
}

/** Polls the connector until its resync finishes, drawing a bar when the source said how much there is. */
async function followResync(path: string): Promise<void> {
  const bar = new SingleBar({ format: 'resync [{bar}] {percentage}% | {value}/{total} events | {state}', hideCursor: true, clearOnComplete: false, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 });
  let started = false;
  const askedAt = Date.now();
  try {
    for (;;) {
      const status = await connectorsApi<ConnectorView>(path);
      if (status.resync.requested && Date.now() - askedAt > PICKUP_TIMEOUT_MS) {
        throw new Error(`the connector has not picked up the resync after ${PICKUP_TIMEOUT_MS / 1000} s (is it running in the connectors app?); the request stays queued`);
      }
      const total = Math.max(status.resync.total ?? 0, status.resync.events, 1);
      if (!started) {
        bar.start(total, 0, { state: status.state });
        started = true;
      }
      bar.setTotal(total);
      bar.update(status.resync.events, { state: status.state });
      if (status.resync.finishedAt) break;
      if (status.state === 'failed') throw new Error(`resync stopped: connector failed: ${status.lastError ?? 'no reason given'}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    if (started) bar.stop();
  }
  const done = await connectorsApi<ConnectorView>(path);
  process.stdout.write(`${done.name}: resync finished, ${done.resync.events} events\n`);
}

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds}s ago` : seconds < 7200 ? `${Math.round(seconds / 60)}m ago` : `${Math.round(seconds / 3600)}h ago`;
}
