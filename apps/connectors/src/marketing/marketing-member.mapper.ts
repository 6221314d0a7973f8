import { ConsentV1, customerEventId, CustomerEventKind, CustomerEventV1, Parsed, parseCustomerEvent } from '@tandem/contracts';
import { MarketingMemberRecord } from './marketing-members.port';
import { memberContact, memberId, text } from './marketing-webhook.mapper';

/**
 * What each member status says, as the webhook that leads to it does (marketing-webhook.mapper):
 * subscribed as a `subscribe` (email consent granted), unsubscribed as an `unsubscribe`
 * (withdrawn), cleaned as a `cleaned` (bounced: the hub suppresses the address). Archived members
 * left the audience (Mailchimp announces it as an unsubscribe): withdrawn. Pending (double opt-in not
 * confirmed) and transactional members never consented to marketing: their data, no consent.
 */
const BY_STATUS: Record<string, { kind: CustomerEventKind; consent?: ConsentV1['status'] }> = {
  subscribed: { kind: 'consent.changed', consent: 'granted' },
  unsubscribed: { kind: 'email.unsubscribed', consent: 'withdrawn' },
  archived: { kind: 'email.unsubscribed', consent: 'withdrawn' },
  cleaned: { kind: 'email.bounced' },
  pending: { kind: 'customer.upserted' },
  transactional: { kind: 'customer.upserted' },
};

// Separates a pulled member's event from the webhook events of the same member and second.
const PULLED = 'member';

/**
 * One list member (Mailchimp Marketing API v3) → one event carrying its whole state: the same
 * source, record id (the member id, MD5 of the lower-cased address) and identifiers, attributes
 * and consents as its webhooks give. Version = `last_changed` in ms, the `fired_at` of the member's
 * latest webhook, so the hub applies a member once whether the webhook or a resync brought it; the
 * event id depends on member and version only, so a second resync repeats it.
 */
export function mapMarketingMember(source: string, member: MarketingMemberRecord): Parsed<CustomerEventV1> & { recordId: string } {
  if (typeof member !== 'object' || member === null || Array.isArray(member)) return { ok: false, errors: ['member is not a JSON object'], recordId: 'unknown' };
  const email = text(member.email_address);
  const recordId = text(member.id) ?? (email ? memberId(email) : '');
  if (!recordId) return { ok: false, errors: ['member has no id and no email_address'], recordId: 'unknown' };
  const status = BY_STATUS[typeof member.status === 'string' ? member.status : ''];
  if (!status) return { ok: false, errors: [`unknown member status "${String(member.status ?? '').slice(0, 40)}"`], recordId };
  const changedAt = typeof member.last_changed === 'string' ? Date.parse(member.last_changed) : NaN;
  if (Number.isNaN(changedAt)) return { ok: false, errors: ['last_changed is not an ISO 8601 time'], recordId };

  const merges = (typeof member.merge_fields === 'object' && member.merge_fields !== null ? member.merge_fields : {}) as Record<string, unknown>;
  const { identifiers, attributes } = memberContact(email, merges);

  const parsed = parseCustomerEvent({
    schemaVersion: 1,
    eventId: customerEventId(source, recordId, changedAt, PULLED),
    source,
    sourceRecordId: recordId,
    recordVersion: changedAt,
    kind: status.kind,
    occurredAt: new Date(changedAt).toISOString(),
    identifiers,
    attributes,
    ...(status.consent ? { consents: [{ channel: 'email', status: status.consent }] } : {}),
  });
  return { ...parsed, recordId };
}
