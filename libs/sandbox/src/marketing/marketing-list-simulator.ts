import { IncomingMessage, ServerResponse } from 'node:http';
import { MarketingSubscriber, subscriberId } from '../generator/customer-base';
import { LocalHttpServer } from '../local-http-server';
import { MarketingWebhook, webhookForStatus } from './marketing-webhooks';

export type MarketingMemberStatus = 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived';

/** A list member as Mailchimp's Marketing API v3 answers it (the fields the hub reads). */
export interface MarketingMember {
  /** MD5 of the lower-cased email address. */
  id: string;
  email_address: string;
  status: MarketingMemberStatus;
  merge_fields: Record<string, string>;
  /** ISO 8601 with an offset, to the second (`2026-11-01T09:30:00+00:00`). */
  last_changed: string;
  list_id: string;
}

/** A fault the simulator answers with instead of data, for the next `count` member list calls. */
export interface MarketingListFault {
  status: 429 | 500 | 502 | 503;
  count: number;
  /** Sent as `Retry-After` (seconds) when set. */
  retryAfterSeconds?: number;
}

export interface MarketingListSimulatorOptions {
  /** The audience id served at `/3.0/lists/{listId}/members`. */
  listId?: string;
  /** When set, calls must carry HTTP Basic auth with this key as the password (any user name). */
  apiKey?: string;
  /** Added to every member list call, to make a pull take a while. */
  pageDelayMs?: number;
  /** Largest `count` honoured; Mailchimp's is 1000. */
  maxPageSize?: number;
}

/** One call the simulator answered, for tests that check how a client paged. */
export interface MarketingListRequestLog {
  at: number;
  query: Record<string, string>;
  status: number;
}

/** Mailchimp's `last_changed` for a webhook's `fired_at` (`YYYY-MM-DD HH:MM:SS`, UTC). */
export function lastChangedOf(firedAt: string): string {
  return `${firedAt.replace(' ', 'T')}+00:00`;
}

/**
 * A marketing tool's audience in the style of Mailchimp's Marketing API v3, as a small HTTP server:
 * `GET /3.0/lists/{list_id}/members?count=&offset=&since_last_changed=&sort_field=last_changed&sort_dir=ASC`
 * answers `{ members, list_id, total_items }`. Members change only through {@link apply}, from the
 * very webhooks the tool fires, so a member's `last_changed` is the `fired_at` of its latest
 * webhook and the webhooks and the members API always agree. `since_last_changed` keeps members
 * changed at or after the instant; faults (429 with Retry-After, 5xx) can be injected.
 */
export class MarketingListSimulator {
  private readonly members = new Map<string, MarketingMember>();
  private readonly faults: MarketingListFault[] = [];
  private readonly server = new LocalHttpServer('marketing list simulator', (request, response) => this.handle(request, response));
  private ordered: MarketingMember[] | null = null;
  readonly listId: string;
  readonly requests: MarketingListRequestLog[] = [];
  pageDelayMs: number;

  constructor(private readonly options: MarketingListSimulatorOptions = {}) {
    this.listId = options.listId ?? 'a1b2c3d4e5';
    this.pageDelayMs = options.pageDelayMs ?? 0;
  }

  /**
   * Puts each subscriber on the list with the webhook that gives it its status (subscribe,
   * unsubscribe, cleaned), fired at `at` (or `at(i)`), and returns those webhooks in order.
   */
  seed(subscribers: MarketingSubscriber[], at: Date | ((index: number) => Date) = new Date()): MarketingWebhook[] {
    return subscribers.map((subscriber, i) => {
      const webhook = this.apply(webhookForStatus(subscriber, typeof at === 'function' ? at(i) : at));
      // A cleaned webhook carries only the address; the member keeps the merge fields it had.
      const member = this.members.get(subscriber.id);
      if (member) member.merge_fields = mergeFields(subscriber.merges);
      return webhook;
    });
  }

  /** Changes the member a webhook is about as the tool did when it fired it; returns the webhook. */
  apply(webhook: MarketingWebhook): MarketingWebhook {
    const data = webhook.data;
    const lastChanged = lastChangedOf(webhook.firedAt);
    if (webhook.type === 'upemail') {
      const old = this.members.get(subscriberId(data.old_email ?? ''));
      const email = data.new_email;
      this.members.delete(subscriberId(data.old_email ?? ''));
      this.members.set(subscriberId(email), { ...(old ?? this.blank(email)), id: subscriberId(email), email_address: email, merge_fields: { ...(old?.merge_fields ?? {}) }, last_changed: lastChanged });
    } else {
      const email = data.email ?? '';
      const id = data.id ?? subscriberId(email);
      const member = { ...(this.members.get(id) ?? this.blank(email)), id, email_address: email, last_changed: lastChanged };
      const merges = Object.entries(data).filter(([name]) => name.startsWith('merges.'));
      if (merges.length) member.merge_fields = mergeFields(Object.fromEntries(merges.map(([name, value]) => [name.slice('merges.'.length), value])));
      if (webhook.type === 'subscribe') member.status = 'subscribed';
      if (webhook.type === 'unsubscribe') member.status = 'unsubscribed';
      if (webhook.type === 'cleaned') member.status = 'cleaned';
      this.members.set(id, member);
    }
    this.ordered = null;
    return webhook;
  }

  /** Puts a member in as it is, for states no webhook leads to (pending, transactional, archived, broken data). */
  put(member: MarketingMember): void {
    this.members.set(member.id, { ...member, merge_fields: { ...member.merge_fields } });
    this.ordered = null;
  }

  get(id: string): MarketingMember | undefined {
    return this.members.get(id);
  }

  list(): MarketingMember[] {
    return [...this.members.values()];
  }

  get size(): number {
    return this.members.size;
  }

  /** The next `count` member list calls answer with `status` instead of data. */
  injectFault(fault: MarketingListFault): void {
    this.faults.push({ ...fault });
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

  private blank(email: string): MarketingMember {
    return { id: subscriberId(email), email_address: email, status: 'subscribed', merge_fields: {}, last_changed: '', list_id: this.listId };
  }

  // By last_changed, then id: the order Mailchimp's sort_field=last_changed gives, made stable.
  private byLastChanged(): MarketingMember[] {
    this.ordered ??= [...this.members.values()]
      .map((member) => ({ at: Date.parse(member.last_changed), member }))
      .sort((a, b) => (Number.isNaN(a.at) ? -1 : a.at) - (Number.isNaN(b.at) ? -1 : b.at) || (a.member.id < b.member.id ? -1 : a.member.id > b.member.id ? 1 : 0))
      .map((row) => row.member);
    return this.ordered;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://marketing.local');
    const query = Object.fromEntries(url.searchParams);
    const arrivedAt = Date.now();
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ at: arrivedAt, query, status });
      response.writeHead(status, { 'content-type': status < 300 ? 'application/json; charset=utf-8' : 'application/problem+json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    // Mailchimp's errors are RFC 7807 problem documents.
    const problem = (status: number, title: string, detail: string, headers: Record<string, string> = {}) => answer(status, { type: 'https://mailchimp.com/developer/marketing/docs/errors/', title, status, detail, instance: '' }, headers);
    const path = /^\/3\.0\/lists\/([^/]+)\/members\/?$/.exec(url.pathname);
    if (request.method !== 'GET' || !path) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    if (this.options.apiKey !== undefined && basicPassword(request.headers.authorization) !== this.options.apiKey) {
      return problem(401, 'API Key Invalid', 'Your API key may be invalid, or you\'ve attempted to access the wrong datacenter.');
    }
    if (decodeURIComponent(path[1]) !== this.listId) return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    const fault = this.faults[0];
    if (fault) {
      if (--fault.count <= 0) this.faults.shift();
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return problem(fault.status, fault.status === 429 ? 'Too Many Requests' : 'Internal Server Error', 'injected fault', headers);
    }
    if (this.pageDelayMs) await new Promise((resolve) => setTimeout(resolve, this.pageDelayMs));

    const count = Number(query.count ?? 10);
    const offset = Number(query.offset ?? 0);
    if (!Number.isInteger(count) || count < 1 || count > (this.options.maxPageSize ?? 1000)) return problem(400, 'Invalid Resource', `count must be 1 to ${this.options.maxPageSize ?? 1000}`);
    if (!Number.isInteger(offset) || offset < 0) return problem(400, 'Invalid Resource', 'offset must be a whole number');
    let members = this.byLastChanged();
    if (query.since_last_changed) {
      const since = Date.parse(query.since_last_changed);
      if (Number.isNaN(since)) return problem(400, 'Invalid Resource', 'since_last_changed must be an ISO 8601 time');
      members = members.filter((member) => Date.parse(member.last_changed) >= since);
    }
    if (query.sort_field && query.sort_field !== 'last_changed') return problem(400, 'Invalid Resource', 'this simulator sorts by last_changed only');
    if (query.sort_dir === 'DESC') members = [...members].reverse();
    return answer(200, { members: members.slice(offset, offset + count), list_id: this.listId, total_items: members.length });
  }
}

// The address is the member's `email_address`, not one of its merge fields.
function mergeFields(merges: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(merges).filter(([name, value]) => name !== 'EMAIL' && value)) as Record<string, string>;
}

function basicPassword(header: string | undefined): string | null {
  const match = /^Basic (.+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}
