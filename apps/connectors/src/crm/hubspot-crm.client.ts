import { CrmContactPage, CrmListQuery, CrmSource, SourceUnavailableError } from './crm-source.port';

const PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'address', 'city', 'zip', 'country', 'date_of_birth'];

/** {@link CrmSource} over a HubSpot-style REST API (`/crm/v3/objects/contacts`). */
export class HubSpotCrmClient implements CrmSource {
  constructor(private readonly baseUrl: string, private readonly token: string | null, private readonly timeoutMs = 15000) {}

  get description(): string {
    return `HubSpot-style contacts API at ${new URL(this.baseUrl).host}`;
  }

  async listContacts(query: CrmListQuery): Promise<CrmContactPage> {
    const url = new URL('/crm/v3/objects/contacts', this.baseUrl);
    url.searchParams.set('limit', String(query.limit));
    url.searchParams.set('archived', String(query.archived));
    url.searchParams.set('properties', PROPERTIES.join(','));
    if (query.updatedAfter) url.searchParams.set('updatedAfter', query.updatedAfter);
    if (query.after) url.searchParams.set('after', query.after);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new SourceUnavailableError(`CRM unreachable: ${(error as Error).message}`, null, null);
    }
    if (response.status === 429 || response.status >= 500) {
      await response.arrayBuffer().catch(() => undefined);
      throw new SourceUnavailableError(`CRM answered ${response.status}`, response.status, retryAfterMs(response.headers.get('retry-after')));
    }
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      // 401/403/400: a setting is wrong; retried with backoff so a fixed setting recovers on its own.
      throw new SourceUnavailableError(`CRM refused the call with ${response.status}`, response.status, null);
    }
    const body = (await response.json()) as { results?: unknown; paging?: { next?: { after?: string } }; total?: number };
    if (!Array.isArray(body.results)) throw new SourceUnavailableError('CRM answer has no results array', response.status, null);
    return { contacts: body.results as CrmContactPage['contacts'], nextAfter: body.paging?.next?.after ?? null, total: typeof body.total === 'number' ? body.total : null };
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
