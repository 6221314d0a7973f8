import { Presets, SingleBar } from 'cli-progress';
import { Args, CommandGroup, UsageError } from '../command';

const STATUSES = ['open', 'replayed', 'discarded'];

interface DeadLetterSummary {
  id: string;
  status: string;
  originalTopic: string | null;
  originalOffset: string | null;
  source: string | null;
  sourceRecordId: string | null;
  reason: string;
  attempts: number;
  failedAt: string;
}

/**
 * `dlq list|show|replay|discard`: the dead-letter store through the connectors app's operations API
 * (CONNECTORS_URL, default http://127.0.0.1:3001). Replaying many shows a progress bar on a terminal.
 */
export const dlqCommand: CommandGroup = {
  name: 'dlq',
  summary: 'dead letters: list, show, replay after a fix, discard',
  usage: [
    'list [--status open|replayed|discarded] [--topic TOPIC] [--source SOURCE] [--limit N] [--json]',
    'show ID',
    'replay ID... | replay --all [--topic TOPIC] [--source SOURCE]   re-produces each to its original topic',
    'discard ID... | discard --all [--topic TOPIC] [--source SOURCE]',
  ],
  async run(args: Args): Promise<void> {
    const [command, ...ids] = args.positional;
    const api = new ConnectorsApi(process.env.CONNECTORS_URL ?? 'http://127.0.0.1:3001');
    switch (command) {
      case 'list':
        return list(api, args);
      case 'show':
        if (ids.length !== 1) throw new UsageError('dlq show takes one dead-letter id');
        process.stdout.write(`${JSON.stringify(await api.request('GET', `/v1/dead-letters/${encodeURIComponent(ids[0])}`), null, 2)}\n`);
        return;
      case 'replay':
      case 'discard':
        return act(api, command, ids, args);
      default:
        throw new UsageError('dlq: use list, show, replay or discard (see --help)');
    }
  },
};

async function list(api: ConnectorsApi, args: Args): Promise<void> {
  const query = filterQuery(args);
  const limit = option(args, 'limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new UsageError('--limit must be a number from 1 to 1000');
    query.set('limit', limit);
  }
  const page = (await api.request('GET', `/v1/dead-letters?${query}`)) as { items: DeadLetterSummary[]; counts: Record<string, number> };
  if (args.options.json === true) {
    process.stdout.write(`${JSON.stringify(page)}\n`);
    return;
  }
  process.stdout.write(`open ${page.counts.open}, replayed ${page.counts.replayed}, discarded ${page.counts.discarded}\n`);
  for (const item of page.items) {
    const where = item.originalTopic ? `${item.originalTopic}@${item.originalOffset}` : `${item.source ?? '?'}:${item.sourceRecordId ?? '?'}`;
    process.stdout.write(`${item.id}  ${item.status.padEnd(9)}  ${item.failedAt}  ${where}  ${item.reason.slice(0, 120)}\n`);
  }
}

/** Replays or discards the given ids, or every open dead letter matching the filters (--all). */
async function act(api: ConnectorsApi, command: 'replay' | 'discard', ids: string[], args: Args): Promise<void> {
  if (args.options.all === true && ids.length) throw new UsageError(`dlq ${command}: give ids or --all, not both`);
  if (args.options.all !== true && !ids.length) throw new UsageError(`dlq ${command} needs dead-letter ids or --all`);
  const targets = ids.length ? ids : await openIds(api, args);
  const bar = process.stderr.isTTY && targets.length > 1 ? new SingleBar({ format: `${command} [{bar}] {value}/{total} {failed} failed`, hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(targets.length, 0, { failed: 0 });
  const failures: string[] = [];
  for (const id of targets) {
    try {
      await api.request('POST', `/v1/dead-letters/${encodeURIComponent(id)}/${command}`);
    } catch (error) {
      failures.push(`${id}: ${(error as Error).message}`);
    }
    bar?.increment(1, { failed: failures.length });
  }
  bar?.stop();
  for (const failure of failures) process.stderr.write(`${failure}\n`);
  process.stdout.write(`${command === 'replay' ? 'replayed' : 'discarded'} ${targets.length - failures.length} of ${targets.length}\n`);
  if (failures.length) process.exitCode = 1;
}

async function openIds(api: ConnectorsApi, args: Args): Promise<string[]> {
  const ids: string[] = [];
  let before: string | undefined;
  for (;;) {
    const query = filterQuery(args);
    query.set('status', 'open');
    query.set('limit', '1000');
    if (before) query.set('before', before);
    const page = (await api.request('GET', `/v1/dead-letters?${query}`)) as { items: DeadLetterSummary[] };
    ids.push(...page.items.map((item) => item.id));
    if (page.items.length < 1000) break;
    before = page.items[page.items.length - 1].id;
  }
  // Oldest first: replayed messages reach their topic in the order they first failed.
  return ids.reverse();
}

function filterQuery(args: Args): URLSearchParams {
  const query = new URLSearchParams();
  const status = option(args, 'status');
  if (status !== undefined) {
    if (!STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    query.set('status', status);
  }
  for (const name of ['topic', 'source']) {
    const value = option(args, name);
    if (value !== undefined) query.set(name, value);
  }
  return query;
}

function option(args: Args, name: string): string | undefined {
  const value = args.options[name];
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value;
}

/** The connectors app's HTTP API; errors carry the API's own message. */
class ConnectorsApi {
  constructor(private readonly baseUrl: string) {}

  async request(method: 'GET' | 'POST', path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { method, signal: AbortSignal.timeout(30000) });
    } catch (error) {
      throw new Error(`cannot reach the connectors app at ${this.baseUrl} (set CONNECTORS_URL): ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as { message?: unknown };
    if (!response.ok) throw new Error(`${response.status} ${typeof body.message === 'string' ? body.message : response.statusText}`);
    return body;
  }
}
