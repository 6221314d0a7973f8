import { SourceHttp, SourceUnavailableError } from '../pipeline/source-http';
import { MarketingMemberRecord, MarketingMembersSource, MembersPage, MembersQuery } from './marketing-members.port';

/**
 * {@link MarketingMembersSource} over Mailchimp's Marketing API v3
 * (`GET /3.0/lists/{list_id}/members`, sorted by `last_changed` ascending), HTTP Basic auth with the
 * API key as the password, through {@link SourceHttp} (429/5xx with their Retry-After).
 */
export class MailchimpMembersClient implements MarketingMembersSource {
  private readonly url: URL;
  private readonly http: SourceHttp;
  private readonly authorization: string;

  constructor(baseUrl: string, apiKey: string, private readonly listId: string, timeoutMs = 15000) {
    this.url = new URL(baseUrl);
    this.http = new SourceHttp('marketing members API', this.url, timeoutMs);
    // Mailchimp takes any user name; the key is the password.
    this.authorization = `Basic ${Buffer.from(`tandem:${apiKey}`).toString('base64')}`;
  }

  get description(): string {
    return `Mailchimp-style members API at ${this.url.host}, list ${this.listId}`;
  }

  async listMembers(query: MembersQuery): Promise<MembersPage> {
    const url = new URL(`3.0/lists/${encodeURIComponent(this.listId)}/members`, this.url.href.endsWith('/') ? this.url : `${this.url.href}/`);
    url.searchParams.set('count', String(query.count));
    url.searchParams.set('offset', String(query.offset));
    if (query.sinceLastChanged) url.searchParams.set('since_last_changed', query.sinceLastChanged);
    url.searchParams.set('sort_field', 'last_changed');
    url.searchParams.set('sort_dir', 'ASC');
    const body = (await this.http.getJson(url, { authorization: this.authorization })) as { members?: unknown; total_items?: unknown } | null;
    if (!Array.isArray(body?.members)) throw new SourceUnavailableError('marketing members API answer has no members array', 200, null);
    return { members: body.members as MarketingMemberRecord[], total: typeof body.total_items === 'number' ? body.total_items : body.members.length };
  }
}

/** A page of members with where it was asked for. */
export interface PulledPage extends MembersPage {
  offset: number;
  /** The members of this page not already in the previous one (see the overlap below). */
  fresh: MarketingMemberRecord[];
}

/**
 * Every member changed at or after `sinceLastChanged`, page by page, the next page asked for while
 * the caller works on this one. Offset paging over a list sorted by `last_changed` shifts when a
 * member already passed changes (it moves to the end, and the next unread one moves back a place):
 * each page overlaps the previous by `overlap` members, and members already in the previous page
 * (same id and last_changed) are left out of `fresh`. A member that changes during the pull comes
 * again at the end with its new state. Errors of the source are raised when the page is awaited.
 */
export async function* memberPages(source: MarketingMembersSource, query: { sinceLastChanged?: string; count: number; overlap?: number }): AsyncGenerator<PulledPage> {
  const overlap = Math.min(query.overlap ?? Math.min(16, Math.floor(query.count / 10)), query.count - 1);
  const ask = (offset: number) => {
    const page = source.listMembers({ sinceLastChanged: query.sinceLastChanged, offset, count: query.count });
    page.catch(() => undefined);
    return page.then((p) => ({ ...p, offset }));
  };
  let next = ask(0);
  let previous = new Set<string>();
  for (;;) {
    const page = await next;
    const end = page.offset + page.members.length;
    const more = page.members.length > 0 && end < page.total;
    if (more) next = ask(Math.max(page.offset + 1, end - overlap));
    const fresh = page.members.filter((member) => !previous.has(seenKey(member)));
    previous = new Set(page.members.slice(-overlap || page.members.length).map(seenKey));
    yield { ...page, fresh };
    if (!more) return;
  }
}

function seenKey(member: MarketingMemberRecord): string {
  return `${member?.id}\u0000${member?.last_changed}`;
}
