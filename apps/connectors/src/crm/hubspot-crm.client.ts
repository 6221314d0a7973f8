import http from 'node:http';
import https from 'node:https';
import { CrmContactPage, CrmListQuery, CrmSource, SourceUnavailableError } from './crm-source.port';

const PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'address', 'city', 'zip', 'country', 'date_of_birth'];

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Buffer;
}

/**
 * {@link CrmSource} over a HubSpot-style REST API (`/crm/v3/objects/contacts`), on node:http with
 * kept-alive connections: the WHATWG `fetch` cost about as much CPU per contact as mapping and
 * producing it together.
 */
export class HubSpotCrmClient implements CrmSource {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(baseUrl: string, private readonly token: string | null, private readonly timeoutMs = 15000) {
    this.url = new URL(baseUrl);
    // The connector asks for the next page while it writes this one: a couple of connections do.
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  get description(): string {
    return `HubSpot-style contacts API at ${this.url.host}`;
  }

  async listContacts(query: CrmListQuery): Promise<CrmContactPage> {
    const url = new URL('/crm/v3/objects/contacts', this.url);
    url.searchParams.set('limit', String(query.limit));
    url.searchParams.set('archived', String(query.archived));
    url.searchParams.set('properties', PROPERTIES.join(','));
    if (query.updatedAfter) url.searchParams.set('updatedAfter', query.updatedAfter);
    if (query.after) url.searchParams.set('after', query.after);
    let answer: Answer;
    try {
      answer = await this.get(url);
    } catch (error) {
      throw new SourceUnavailableError(`CRM unreachable: ${(error as Error).message}`, null, null);
    }
    if (answer.status === 429 || answer.status >= 500) {
      throw new SourceUnavailableError(`CRM answered ${answer.status}`, answer.status, retryAfterMs(answer.retryAfter));
    }
    // 401/403/400: a setting is wrong; retried with backoff so a fixed setting recovers on its own.
    if (answer.status < 200 || answer.status >= 300) throw new SourceUnavailableError(`CRM refused the call with ${answer.status}`, answer.status, null);
    let body: { results?: unknown; paging?: { next?: { after?: string } }; total?: number };
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new SourceUnavailableError('CRM answer is not JSON', answer.status, null);
    }
    if (!Array.isArray(body?.results)) throw new SourceUnavailableError('CRM answer has no results array', answer.status, null);
    return { contacts: body.results as CrmContactPage['contacts'], nextAfter: body.paging?.next?.after ?? null, total: typeof body.total === 'number' ? body.total : null };
  }

  private get(url: URL): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      const request = (url.protocol === 'https:' ? https : http).get(url, { agent: this.agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          clearTimeout(timer);
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, body: Buffer.concat(chunks) });
        });
      });
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
