import { SourceHttp, SourceUnavailableError } from '../pipeline/source-http';
import { CrmContactPage, CrmListQuery, CrmSource } from './crm-source.port';

const PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'address', 'city', 'zip', 'country', 'date_of_birth'];

/**
 * {@link CrmSource} over a HubSpot-style REST API (`/crm/v3/objects/contacts`), through
 * {@link SourceHttp} (kept-alive node:http; 429/5xx with their Retry-After).
 */
export class HubSpotCrmClient implements CrmSource {
  private readonly url: URL;
  private readonly http: SourceHttp;

  constructor(baseUrl: string, private readonly token: string | null, timeoutMs = 15000) {
    this.url = new URL(baseUrl);
    this.http = new SourceHttp('CRM', this.url, timeoutMs);
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
    const body = (await this.http.getJson(url, this.token ? { authorization: `Bearer ${this.token}` } : {})) as { results?: unknown; paging?: { next?: { after?: string } }; total?: number } | null;
    if (!Array.isArray(body?.results)) throw new SourceUnavailableError('CRM answer has no results array', 200, null);
    return { contacts: body.results as CrmContactPage['contacts'], nextAfter: body.paging?.next?.after ?? null, total: typeof body.total === 'number' ? body.total : null };
  }
}
