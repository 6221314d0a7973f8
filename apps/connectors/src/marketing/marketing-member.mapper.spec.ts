import { encodeMarketingWebhook, generateCustomerBase, MarketingListSimulator, MarketingMember, marketingWebhooks, subscriberId } from '@tandem/sandbox';
import { mapMarketingMember } from './marketing-member.mapper';
import { decodeWebhookForm, mapMarketingWebhook } from './marketing-webhook.mapper';

const subscriber = { id: subscriberId('ann.lee@example.invalid'), listId: 'l1', email: 'ann.lee@example.invalid', status: 'subscribed' as const, merges: { FNAME: 'Ann', LNAME: 'Lee', PHONE: '07700 900123' } };
const at = new Date('2026-11-20T10:00:00Z');
const member: MarketingMember = { id: subscriber.id, email_address: subscriber.email, status: 'subscribed', merge_fields: { FNAME: 'Ann', LNAME: 'Lee', PHONE: '07700 900123' }, last_changed: '2026-11-20T10:00:00+00:00', list_id: 'l1' };
const webhookEvent = (webhook: ReturnType<typeof marketingWebhooks.subscribe>) => {
  const mapped = mapMarketingWebhook('marketing', decodeWebhookForm(encodeMarketingWebhook(webhook)));
  if (!mapped.ok) throw new Error(mapped.errors.join());
  return mapped.value;
};
const pulled = (m: unknown) => {
  const mapped = mapMarketingMember('marketing', m as MarketingMember);
  if (!mapped.ok) throw new Error(mapped.errors.join());
  return mapped.value;
};

describe('mapMarketingMember', () => {
  it('should give a subscribed member the record, version, identifiers, names and granted consent its subscribe webhook gives', () => {
    const fromWebhook = webhookEvent(marketingWebhooks.subscribe(subscriber, at));
    const fromPull = pulled(member);
    for (const field of ['source', 'sourceRecordId', 'recordVersion', 'kind', 'occurredAt', 'identifiers', 'attributes', 'consents'] as const) expect({ field, value: fromPull[field] }).toEqual({ field, value: fromWebhook[field] });
    expect(fromPull.eventId).toBe(pulled({ ...member, merge_fields: { ...member.merge_fields } }).eventId);
    // Its own id: a pulled member is not mistaken for the webhook event of the same second.
    expect(fromPull.eventId).not.toBe(fromWebhook.eventId);
  });

  it('should map unsubscribed to a withdrawal and cleaned to a bounce, as their webhooks do, with the member\'s whole state', () => {
    const unsubscribed = pulled({ ...member, status: 'unsubscribed' });
    expect(unsubscribed).toMatchObject({ kind: webhookEvent(marketingWebhooks.unsubscribe(subscriber, at)).kind, consents: [{ channel: 'email', status: 'withdrawn' }] });
    const cleaned = pulled({ ...member, status: 'cleaned' });
    expect(cleaned.kind).toBe(webhookEvent(marketingWebhooks.cleaned(subscriber, at)).kind);
    expect(cleaned.kind).toBe('email.bounced');
    expect(cleaned.consents).toBeUndefined();
    expect(cleaned.attributes).toEqual({ givenName: 'Ann', familyName: 'Lee' });
    expect(pulled({ ...member, status: 'archived' })).toMatchObject({ kind: 'email.unsubscribed', consents: [{ status: 'withdrawn' }] });
    for (const status of ['pending', 'transactional']) {
      const event = pulled({ ...member, status });
      expect({ status, kind: event.kind, consents: event.consents }).toEqual({ status, kind: 'customer.upserted', consents: undefined });
    }
  });

  it('should give a new version and a new event id when the member changed', () => {
    const later = pulled({ ...member, last_changed: '2026-11-21T08:00:00+00:00' });
    expect(later.recordVersion).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(later.eventId).not.toBe(pulled(member).eventId);
  });

  it('should refuse, with the reason, a member that cannot become a valid event', () => {
    const refused = (m: unknown) => {
      const mapped = mapMarketingMember('marketing', m as MarketingMember);
      return mapped.ok ? 'accepted' : `${mapped.recordId}: ${mapped.errors.join('; ')}`;
    };
    expect(refused({ ...member, status: 'vip' })).toBe(`${member.id}: unknown member status "vip"`);
    expect(refused({ ...member, last_changed: 'yesterday' })).toBe(`${member.id}: last_changed is not an ISO 8601 time`);
    expect(refused({ ...member, id: '', email_address: '' })).toBe('unknown: member has no id and no email_address');
    expect(refused(null)).toBe('unknown: member is not a JSON object');
    expect(refused({ ...member, email_address: `${'x'.repeat(400)}@example.invalid` })).toMatch(/identifiers/);
  });

  it('should turn every member of a generated list into a valid event, one per member', () => {
    const list = new MarketingListSimulator();
    list.seed(generateCustomerBase({ people: 200, seed: 3 }).subscribers, at);
    const events = list.list().map(pulled);
    expect(new Set(events.map((e) => e.sourceRecordId)).size).toBe(list.size);
    expect(events.every((e) => e.recordVersion === at.getTime())).toBe(true);
  });
});
