import { IncomingMessage, ServerResponse } from 'node:http';
import { CrmContact } from '../generator/customer-base';
import { LocalHttpServer } from '../local-http-server';

/** A fault the simulator answers with instead of data, for the next `count` list calls. */
export interface CrmFault {
  status: 429 | 500 | 502 | 503;
  count: number;
  /** Sent as `Retry-After` (seconds) when set. */
  retryAfterSeconds?: number;
}

export interface CrmSimulatorOptions {
  contacts?: CrmContact[];
  /** When set, calls must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Added to every list call, to make a pull take a while (kill tests, progress bars). */
  pageDelayMs?: number;
  /** Largest `limit` honoured; HubSpot's is 100, a benchmark may allow more. */
  maxPageSize?: number;
}

/** One call the simulator answered, for tests that check how a client paged. */
export interface CrmRequestLog {
  /** When the call arrived (ms). */
  at: number;
  query: Record<string, string>;
  status: number;
}

const LIST_PATH = '/crm/v3/objects/contacts';

/**
 * A CRM REST API in the style of HubSpot's contacts API, as a small HTTP server:
 * `GET /crm/v3/objects/contacts?limit=&after=&archived=&updatedAfter=` answers
 * `{ results, paging: { next: { after, link } }, total }`, ordered by change time then id.
 * `after` is an opaque keyset token (stable while contacts change), `archived=true` lists deleted
 * contacts ordered by `archivedAt`, and faults (429 with Retry-After, 5xx) can be injected.
 */
export class CrmSimulator {
  private readonly contacts = new Map<string, CrmContact>();
  private readonly faults: CrmFault[] = [];
  private readonly server = new LocalHttpServer('CRM simulator', (request, response) => this.handle(request, response));
  private clock = 0;
  private nextId = 1;
  // Contacts ordered by change time then id, per list; rebuilt after a change, not on every call.
  private readonly ordered = new Map<boolean, { at: number; id: number; contact: CrmContact }[]>();
  readonly requests: CrmRequestLog[] = [];
  pageDelayMs: number;

  constructor(private readonly options: CrmSimulatorOptions = {}) {
    for (const contact of options.contacts ?? []) this.contacts.set(contact.id, { ...contact, properties: { ...contact.properties } });
    this.nextId = 1 + Math.max(0, ...[...this.contacts.keys()].map(Number).filter(Number.isFinite));
    this.pageDelayMs = options.pageDelayMs ?? 0;
  }

  /** Listens on 127.0.0.1 (`port` 0 = any free port) and returns the base URL. */
  start(port = 0): Promise<string> {
    return this.server.start(port);
  }

  get url(): string {
    return this.server.url;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get size(): number {
    return this.contacts.size;
  }

  /** Every contact, live and archived, in no particular order. */
  list(): CrmContact[] {
    return [...this.contacts.values()];
  }

  get(id: string): CrmContact | undefined {
    return this.contacts.get(id);
  }

  /** Creates or edits a contact as a CRM user would: `updatedAt` moves to now (strictly later than any before). */
  upsert(properties: CrmContact['properties'], id?: string): CrmContact {
    const now = this.tick();
    const existing = id ? this.contacts.get(id) : undefined;
    const contact: CrmContact = existing
      ? { ...existing, properties: { ...existing.properties, ...properties }, updatedAt: now }
      : { id: id ?? String(this.nextId++), properties: { ...properties }, createdAt: now, updatedAt: now, archived: false };
    this.contacts.set(contact.id, contact);
    this.ordered.clear();
    return contact;
  }

  /** Deletes a contact the HubSpot way: it moves to the archived list. */
  archive(id: string): void {
    const contact = this.contacts.get(id);
    if (!contact) throw new Error(`no contact ${id}`);
    const now = this.tick();
    this.contacts.set(id, { ...contact, archived: true, archivedAt: now, updatedAt: now });
    this.ordered.clear();
  }

  /** The next `count` list calls answer with `status` instead of data. */
  injectFault(fault: CrmFault): void {
    this.faults.push({ ...fault });
  }

  private tick(): string {
    // Strictly increasing change times, so two edits in one millisecond still order.
    if (this.clock === 0) for (const c of this.contacts.values()) this.clock = Math.max(this.clock, Date.parse(c.archivedAt ?? c.updatedAt));
    this.clock = Math.max(Date.now(), this.clock + 1);
    return new Date(this.clock).toISOString();
  }

  private orderedList(archived: boolean): OrderedRow[] {
    let rows = this.ordered.get(archived);
    if (!rows) {
      rows = [...this.contacts.values()]
        .filter((c) => c.archived === archived)
        .map((contact) => ({ at: Date.parse(archived ? contact.archivedAt! : contact.updatedAt), id: Number(contact.id), contact }))
        .sort((a, b) => a.at - b.at || a.id - b.id);
      this.ordered.set(archived, rows);
    }
    return rows;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://crm.local');
    const query = Object.fromEntries(url.searchParams);
    const arrivedAt = Date.now();
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ at: arrivedAt, query, status });
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (request.method !== 'GET' || url.pathname !== LIST_PATH) return answer(404, { status: 'error', message: 'not found' });
    if (this.options.token && request.headers.authorization !== `Bearer ${this.options.token}`) {
      return answer(401, { status: 'error', category: 'INVALID_AUTHENTICATION', message: 'missing or wrong bearer token' });
    }
    const fault = this.faults[0];
    if (fault) {
      if (--fault.count <= 0) this.faults.shift();
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return answer(fault.status, { status: 'error', category: fault.status === 429 ? 'RATE_LIMITS' : 'INTERNAL_ERROR', message: 'injected fault' }, headers);
    }
    if (this.pageDelayMs) await new Promise((resolve) => setTimeout(resolve, this.pageDelayMs));

    const limit = Math.min(this.options.maxPageSize ?? 100, Math.max(1, Number(query.limit ?? 10) || 10));
    const archived = query.archived === 'true';
    const rows = this.orderedList(archived);
    let from = 0;
    if (query.updatedAfter) {
      const since = Date.parse(query.updatedAfter);
      if (Number.isNaN(since)) return answer(400, { status: 'error', category: 'VALIDATION_ERROR', message: 'updatedAfter must be an ISO date' });
      from = firstAfter(rows, since, Infinity);
    }
    const total = rows.length - from;
    if (query.after) {
      const position = decodeAfter(query.after);
      if (!position) return answer(400, { status: 'error', category: 'VALIDATION_ERROR', message: 'after is not a valid paging token' });
      from = Math.max(from, firstAfter(rows, position.at, position.id));
    }
    const slice = rows.slice(from, from + limit);
    const page = slice.map((row) => row.contact);
    const last = slice[slice.length - 1];
    const body: Record<string, unknown> = { results: page, total };
    if (from + limit < rows.length && last) {
      const after = encodeAfter(last.at, last.id);
      const link = new URL(url.toString());
      link.searchParams.set('after', after);
      body.paging = { next: { after, link: `${LIST_PATH}?${link.searchParams}` } };
    }
    return answer(200, body);
  }
}

type OrderedRow = { at: number; id: number; contact: CrmContact };

/** Index of the first row strictly after (at, id) in change order. */
function firstAfter(rows: OrderedRow[], at: number, id: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].at < at || (rows[mid].at === at && rows[mid].id <= id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The paging token for "everything after this contact"; clients treat it as opaque. */
export function encodeAfter(at: number, id: number): string {
  return Buffer.from(`${at}:${id}`).toString('base64url');
}

function decodeAfter(token: string): { at: number; id: number } | null {
  const [at, id] = Buffer.from(token, 'base64url').toString('utf8').split(':').map(Number);
  return Number.isFinite(at) && Number.isFinite(id) ? { at, id } : null;
}
