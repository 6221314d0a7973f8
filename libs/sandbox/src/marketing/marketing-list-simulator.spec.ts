import { generateCustomerBase, subscriberId } from '../generator/customer-base';
import { lastChangedOf, MarketingListSimulator } from './marketing-list-simulator';
import { marketingWebhooks } from './marketing-webhooks';

describe('MarketingListSimulator', () => {
  const subscribers = generateCustomerBase({ people: 60, seed: 4 }).subscribers;
  const at = new Date('2026-11-01T08:00:00Z');

  it('should hold each member in the state its latest webhook says, last_changed = fired_at', () => {
    const list = new MarketingListSimulator();
    const fired = list.seed(subscribers, at);
    expect(list.size).toBe(subscribers.length);
    for (const [i, s] of subscribers.entries()) {
      const member = list.get(s.id)!;
      expect({ status: member.status, email: member.email_address, changed: member.last_changed }).toEqual({ status: s.status, email: s.email, changed: lastChangedOf(fired[i].firedAt) });
      expect(Date.parse(member.last_changed)).toBe(at.getTime());
    }
    const later = new Date('2026-11-02T09:15:30Z');
    const subscribed = subscribers.find((s) => s.status === 'subscribed')!;
    list.apply(marketingWebhooks.unsubscribe(subscribed, later));
    expect(list.get(subscribed.id)).toMatchObject({ status: 'unsubscribed', last_changed: '2026-11-02T09:15:30+00:00' });
    list.apply(marketingWebhooks.upemail(subscribed, 'moved@example.invalid', later));
    expect(list.get(subscribed.id)).toBeUndefined();
    expect(list.get(subscriberId('moved@example.invalid'))).toMatchObject({ email_address: 'moved@example.invalid', status: 'unsubscribed', merge_fields: list.list().find((m) => m.email_address === 'moved@example.invalid')!.merge_fields });
  });

  it('should answer members by last_changed with offset paging, since_last_changed, Basic auth and injected faults', async () => {
    const list = new MarketingListSimulator({ apiKey: 'k-us1', listId: 'aud' });
    list.seed(subscribers, (i) => new Date(at.getTime() + i * 1000));
    const url = await list.start();
    const auth = { authorization: `Basic ${Buffer.from('any:k-us1').toString('base64')}` };
    try {
      const get = async (query: string, headers: Record<string, string> = auth) => {
        const response = await fetch(`${url}/3.0/lists/aud/members?${query}`, { headers });
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { total_items: number; members: { id: string }[] } };
      };
      const page = await get('count=5&offset=10&sort_field=last_changed&sort_dir=ASC');
      expect(page.status).toBe(200);
      expect(page.body.total_items).toBe(subscribers.length);
      expect(page.body.members.map((m) => m.id)).toEqual(subscribers.slice(10, 15).map((s) => s.id));
      const since = await get(`count=1000&since_last_changed=${encodeURIComponent(new Date(at.getTime() + 20_000).toISOString())}`);
      expect(since.body.total_items).toBe(subscribers.length - 20);
      expect((await get('count=5', {})).status).toBe(401);
      expect((await get('count=5&since_last_changed=soon')).status).toBe(400);
      list.injectFault({ status: 429, count: 1, retryAfterSeconds: 3 });
      expect(await get('count=5')).toMatchObject({ status: 429, retryAfter: '3' });
      expect((await get('count=5')).status).toBe(200);
    } finally {
      await list.stop();
    }
  });
});
