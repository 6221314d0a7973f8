import type { CrmContact } from '@tandem/sandbox';

/** The contact shape the CRM connector works with (HubSpot's contacts API object). */
export type CrmContactRecord = CrmContact;

export interface CrmListQuery {
  /** Deleted contacts (HubSpot: archived) instead of live ones. */
  archived: boolean;
  /** Only contacts changed strictly after this instant (ISO). */
  updatedAfter?: string;
  /** Paging token from the previous page's `nextAfter`. */
  after?: string;
  limit: number;
}

export interface CrmContactPage {
  contacts: CrmContactRecord[];
  /** Token for the next page, or null on the last one. */
  nextAfter: string | null;
  /** Contacts matching the query, when the source says. */
  total: number | null;
}

/** Where CRM contacts come from; the REST adapter is one implementation, a test double another. */
export interface CrmSource {
  readonly description: string;
  listContacts(query: CrmListQuery): Promise<CrmContactPage>;
}

/** Injection token of the {@link CrmSource}; resolves to null when no CRM is configured. */
export const CRM_SOURCE = Symbol('CRM_SOURCE');

// Where every polled source's client reports a source that cannot answer now.
export { SourceUnavailableError } from '../pipeline/source-http';
