import type { MarketingMember } from '@tandem/sandbox';

/** The member shape the marketing pull works with (Mailchimp Marketing API v3's list member). */
export type MarketingMemberRecord = MarketingMember;

export interface MembersQuery {
  /** Members changed at or after this instant (ISO); absent = every member. */
  sinceLastChanged?: string;
  offset: number;
  count: number;
}

export interface MembersPage {
  members: MarketingMemberRecord[];
  /** Members matching the query, as the source counts them now. */
  total: number;
}

/** Where list members come from; the REST adapter is one implementation, a test double another. */
export interface MarketingMembersSource {
  readonly description: string;
  listMembers(query: MembersQuery): Promise<MembersPage>;
}

/** Injection token of the {@link MarketingMembersSource}; null when no members API is configured. */
export const MARKETING_MEMBERS = Symbol('MARKETING_MEMBERS');
