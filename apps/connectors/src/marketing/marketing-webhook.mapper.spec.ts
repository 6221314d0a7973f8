import { signWebhook, verifyWebhookSignature } from '@tandem/contracts';
import { encodeMarketingWebhook, marketingWebhooks, subscriberId } from '@tandem/sandbox';
import { decodeWebhookForm, mapMarketingWebhook } from './marketing-webhook.mapper';

const member = { id: subscriberId('ann@example.invalid'), listId: 'l1', email: 'ann@example.invalid', status: 'subscribed' as const, merges: { FNAME: 'Ann', LNAME: 'Lee' } };
const at = new Date('2026-11-20T10:00:00Z');
const map = (webhook: ReturnType<typeof marketingWebhooks.subscribe>) => mapMarketingWebhook('marketing', decodeWebhookForm(encodeMarketingWebhook(webhook)));

describe('mapMarketingWebhook', () => {
  it('should map the five Mailchimp types to the contract', () => {
    const kinds = [
      map(marketingWebhooks.subscribe(member, at)),
      map(marketingWebhooks.unsubscribe(member, at)),
      map(marketingWebhooks.profile(member, at)),
      map(marketingWebhooks.upemail(member, 'new@example.invalid', at)),
      map(marketingWebhooks.cleaned(member, at)),
    ].map((m) => (m.ok ? m.value.kind : m.errors.join()));
    expect(kinds).toEqual(['consent.changed', 'email.unsubscribed', 'customer.upserted', 'email.changed', 'email.bounced']);
  });

  it('should read bracketed merge fields and the fired_at time', () => {
    const mapped = map(marketingWebhooks.subscribe(member, at));
    if (!mapped.ok) throw new Error(mapped.errors.join());
    expect(mapped.value).toMatchObject({ sourceRecordId: member.id, recordVersion: at.getTime(), attributes: { givenName: 'Ann', familyName: 'Lee' }, consents: [{ channel: 'email', status: 'granted' }] });
  });

  it('should keep an email change on the member that had the old address', () => {
    const mapped = map(marketingWebhooks.upemail(member, 'new@example.invalid', at));
    if (!mapped.ok) throw new Error(mapped.errors.join());
    expect(mapped.value.sourceRecordId).toBe(member.id);
    expect(mapped.value.identifiers).toEqual([{ type: 'email', value: 'new@example.invalid' }]);
  });

  it('should refuse an unknown type with a reason instead of dropping it', () => {
    expect(mapMarketingWebhook('marketing', { type: 'campaign', fired_at: '2026-11-20 10:00:00', data: { id: 'x' } })).toMatchObject({ ok: false });
    expect(decodeWebhookForm('data[__proto__][polluted]=1')).toEqual({});
  });
});

describe('webhook signature', () => {
  const body = Buffer.from('type=subscribe&data[id]=1');
  it('should accept its own signature and refuse a missing, altered, foreign or stale one', () => {
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, signWebhook('s3cret-s3cret-s3cret', body))).toEqual({ ok: true });
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, undefined).ok).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', Buffer.from('type=unsubscribe&data[id]=1'), signWebhook('s3cret-s3cret-s3cret', body)).ok).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, signWebhook('other', body)).ok).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', body, signWebhook('s3cret-s3cret-s3cret', body, 1000)).ok).toBe(false);
  });

  it('should read the header in any order, with spaces, upper-case hex and the last of a repeated part, and refuse a malformed one', () => {
    const secret = 's3cret-s3cret-s3cret';
    const now = 1_800_000_000;
    const [t, v1] = signWebhook(secret, body, now).split(',');
    const check = (header: string) => verifyWebhookSignature(secret, body, header, now);
    expect(check(`${v1} , ${t}`)).toEqual({ ok: true });
    expect(check(`t=1,${t},v1=${'0'.repeat(64)},${v1.toUpperCase().replace('V1=', 'v1=')}`)).toEqual({ ok: true });
    expect(check(`${t},${v1},v1=${'0'.repeat(64)}`)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(check(`${t},${v1.slice(0, -2)}`)).toEqual({ ok: false, reason: 'signature does not match' });
    for (const malformed of [v1, t, `t=soon,${v1}`, `${t},v1=`, 'garbage']) expect(check(malformed)).toEqual({ ok: false, reason: 'malformed signature header' });
  });
});
