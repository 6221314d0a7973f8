import { generateCustomerBase, MarketingListSimulator, marketingWebhooks } from '@tandem/sandbox';
import { SourceBackoff, SourceUnavailableError } from '../pipeline/source-http';
import { MailchimpMembersClient, memberPages } from './mailchimp-members.client';

describe('Mailchimp-style members client', () => {
  const subscribers = generateCustomerBase({ people: 120, seed: 9 }).subscribers;
  const start = Date.parse('2026-11-01T00:00:00Z');
  const list = new MarketingListSimulator({ apiKey: 'key-us1', listId: 'aud1' });
  list.seed(subscribers, (i) => new Date(start + i * 1000));
  let client: MailchimpMembersClient;

  beforeAll(async () => {
    client = new MailchimpMembersClient(await list.start(), 'key-us1', 'aud1');
  });
  afterAll(() => list.stop());

  const pullAll = async (query: { sinceLastChanged?: string; count: number }, during?: (page: number) => void) => {
    const seen: string[] = [];
    let page = 0;
    for await (const p of memberPages(client, query)) {
      seen.push(...p.fresh.map((m) => m.id));
      during?.(page++);
    }
    return seen;
  };

  it('should page through every member once, oldest change first, with Basic auth', async () => {
    const seen = await pullAll({ count: 7 });
    expect(seen).toEqual([...list.list()].sort((a, b) => Date.parse(a.last_changed) - Date.parse(b.last_changed)).map((m) => m.id));
    expect(list.requests.every((r) => r.query.sort_field === 'last_changed' && r.query.sort_dir === 'ASC')).toBe(true);
  });

  it('should still see every member when members already read change during the pull', async () => {
    const before = list.list().map((m) => m.id);
    const seen = await pullAll({ count: 10 }, (page) => {
      // After each page, a member of that page changes and moves to the end of the list.
      const changed = subscribers[page * 10];
      if (page < 5) list.apply(marketingWebhooks.profile(changed, new Date(Date.now() + page * 1000)));
    });
    for (const id of before) expect(seen).toContain(id);
  });

  it('should take only members changed at or after since_last_changed', async () => {
    const since = new Date(start + 100 * 1000).toISOString();
    const seen = await pullAll({ sinceLastChanged: since, count: 10 });
    const expected = list.list().filter((m) => Date.parse(m.last_changed) >= Date.parse(since)).map((m) => m.id);
    expect(seen.sort()).toEqual(expected.sort());
    expect(expected.length).toBeLessThan(list.size);
  });

  it('should say how long the source asked to wait on 429, and back off that long', async () => {
    list.injectFault({ status: 429, count: 1, retryAfterSeconds: 2 });
    const failure = await client.listMembers({ offset: 0, count: 5 }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'SourceUnavailableError', status: 429, retryAfterMs: 2000 });
    const backoff = new SourceBackoff(30000, () => 0.5);
    expect(backoff.failed(failure)).toBe(2000);
    list.injectFault({ status: 503, count: 1 });
    const unavailable = await client.listMembers({ offset: 0, count: 5 }).catch((error: unknown) => error);
    expect(unavailable).toMatchObject({ status: 503, retryAfterMs: null });
    // Without Retry-After: exponential in the failures in a row (the 429 was the first), with jitter.
    expect([backoff.failed(unavailable), backoff.failed(unavailable)]).toEqual([750, 1500]);
    backoff.succeeded();
    expect(backoff.failed(unavailable)).toBe(375);
    // The fault is over: the same call answers.
    expect((await client.listMembers({ offset: 0, count: 5 })).members).toHaveLength(5);
  });

  it('should refuse a wrong key and an unknown list with the status', async () => {
    await expect(new MailchimpMembersClient(list.url, 'wrong', 'aud1').listMembers({ offset: 0, count: 5 })).rejects.toThrow('marketing members API refused the call with 401');
    await expect(new MailchimpMembersClient(list.url, 'key-us1', 'other').listMembers({ offset: 0, count: 5 })).rejects.toBeInstanceOf(SourceUnavailableError);
  });
});
