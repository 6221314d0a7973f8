import { Analytics } from '@segment/analytics-node';
import { Client } from 'pg';
import request from 'supertest';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { encodeMarketingWebhook, MarketingSubscriber, MarketingWebhookSender, marketingWebhooks, subscriberId } from '@tandem/sandbox';
import { eventually, RunningService, startService, waitForReadiness } from '../support/services';
import { identityGroupAtEnd } from '../support/kafka-group';

const SECRET = 'e2e-marketing-secret-0123456789';
const WRITE_KEY = 'e2eWriteKey0123456789';

/** Pushed intake: the marketing tool's signed webhooks and Segment's HTTP tracking API. */
describe('marketing webhooks and Segment collection end to end', () => {
  const run = Date.now().toString(36);
  const marketing = `mkt-${run}`;
  const segment = `seg-${run}`;
  let db: Client;
  let identity: RunningService;
  let connectors: RunningService;
  let webhookUrl: string;

  const subscriber: MarketingSubscriber = { id: subscriberId(`ada.${run}@example.invalid`), listId: 'l1', email: `ada.${run}@example.invalid`, status: 'subscribed', merges: { FNAME: 'Ada', LNAME: 'Lovelace' } };
  const record = async (source: string, id: string) =>
    (await db.query('SELECT kind, record_version, identifiers, attributes, deleted FROM source_records WHERE source = $1 AND source_record_id = $2', [source, id])).rows[0];
  const status = async (name: string) => (await request(connectors.url).get(`/v1/connectors/${name}`).expect(200)).body;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const env = {
      SANDBOX_ENABLED: 'false',
      MARKETING_SOURCE: marketing,
      MARKETING_WEBHOOK_SECRET: SECRET,
      SEGMENT_SOURCE: segment,
      SEGMENT_WRITE_KEYS: WRITE_KEY,
      IDENTITY_CONSUMER_GROUP: await identityGroupAtEnd('e2e-intake-identity'),
    };
    [identity, connectors] = await Promise.all([startService('identity', env), startService('connectors', env)]);
    await Promise.all([waitForReadiness(identity), waitForReadiness(connectors)]);
    webhookUrl = `${connectors.url}/v1/webhooks/marketing`;
  });

  afterAll(async () => {
    await Promise.all([connectors?.stop(), identity?.stop()]);
    // This run's connector rows only; its events and records stay, as every suite's do.
    await db?.query('DELETE FROM connectors WHERE name = ANY($1)', [[marketing, segment]]);
    await db?.end();
  });

  it('should answer 401 and change nothing when a webhook is unsigned, signed with another secret or altered', async () => {
    const body = encodeMarketingWebhook(marketingWebhooks.subscribe(subscriber));
    const form = 'application/x-www-form-urlencoded';
    await request(webhookUrl).post('').set('content-type', form).send(body).expect(401);
    await request(webhookUrl).post('').set('content-type', form).set(WEBHOOK_SIGNATURE_HEADER, signWebhook('some-other-secret-000000', body)).send(body).expect(401);
    const altered = body.replace('Ada', 'Eve');
    await request(webhookUrl).post('').set('content-type', form).set(WEBHOOK_SIGNATURE_HEADER, signWebhook(SECRET, body)).send(altered).expect(401);
    const stale = signWebhook(SECRET, body, Math.floor(Date.now() / 1000) - 3600);
    const refused = await request(webhookUrl).post('').set('content-type', form).set(WEBHOOK_SIGNATURE_HEADER, stale).send(body).expect(401);
    expect(refused.body.message).toContain('tolerance');

    // A signed marker sent afterwards arrives; the refused calls before it left no trace.
    const marker: MarketingSubscriber = { ...subscriber, id: subscriberId(`marker.${run}@example.invalid`), email: `marker.${run}@example.invalid` };
    expect(await new MarketingWebhookSender({ url: webhookUrl, secret: SECRET }).send(marketingWebhooks.profile(marker))).toBe(200);
    await eventually(() => record(marketing, marker.id), 60000, 'the signed marker webhook');
    expect(await record(marketing, subscriber.id)).toBeUndefined();
    expect((await status(marketing)).eventsTotal).toBe(1);
  });

  it('should map subscribe, unsubscribe, email change and cleaned to the contract, in order', async () => {
    const sender = new MarketingWebhookSender({ url: webhookUrl, secret: SECRET });
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    expect(await sender.send(marketingWebhooks.subscribe(subscriber, new Date(t0)))).toBe(200);
    const subscribed = await eventually(() => record(marketing, subscriber.id), 60000, 'the subscriber');
    expect(subscribed).toMatchObject({ kind: 'consent.changed', attributes: { givenName: 'Ada', familyName: 'Lovelace' } });
    expect(subscribed.identifiers).toContainEqual({ type: 'email', value: subscriber.email });

    expect(await sender.send(marketingWebhooks.unsubscribe(subscriber, new Date(t0 + 1000)))).toBe(200);
    await eventually(async () => ((await record(marketing, subscriber.id)).kind === 'email.unsubscribed' ? true : undefined), 60000, 'the unsubscribe');

    const newEmail = `ada.new.${run}@example.invalid`;
    expect(await sender.send(marketingWebhooks.upemail(subscriber, newEmail, new Date(t0 + 2000)))).toBe(200);
    const changed = await eventually(async () => {
      const row = await record(marketing, subscriber.id);
      return row.kind === 'email.changed' ? row : undefined;
    }, 60000, 'the email change');
    expect(changed.identifiers).toEqual([{ type: 'email', value: newEmail }]);

    expect(await sender.send(marketingWebhooks.cleaned({ ...subscriber, email: newEmail }, new Date(t0 + 3000)))).toBe(200);
    const cleaned = await eventually(() => record(marketing, subscriberId(newEmail)), 60000, 'the cleaned address');
    expect(cleaned.kind).toBe('email.bounced');
  });

  it('should answer 503 while the webhook connector is paused, by this process at once and by another soon, and count every webhook it took', async () => {
    const sender = new MarketingWebhookSender({ url: webhookUrl, secret: SECRET });
    const member = (n: number): MarketingSubscriber => ({ ...subscriber, id: subscriberId(`pause.${n}.${run}@example.invalid`), email: `pause.${n}.${run}@example.invalid` });
    const row = async () => (await db.query('SELECT state, events_total, dead_lettered_total FROM connectors WHERE name = $1', [marketing])).rows[0];
    const before = await status(marketing);

    // Concurrent webhooks, one of them refused to the dead-letter topic: all counted at once by the
    // operations API, and written to the table for every other process soon after.
    const form = 'application/x-www-form-urlencoded';
    const unknownType = 'type=resubscribe&fired_at=2026-11-20+10%3A00%3A00&data%5Bemail%5D=x%40example.invalid';
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, (_, n) => sender.send(marketingWebhooks.subscribe(member(n)))),
      request(webhookUrl).post('').set('content-type', form).set(WEBHOOK_SIGNATURE_HEADER, signWebhook(SECRET, unknownType)).send(unknownType).then((r) => r.status),
    ]);
    expect(answers).toEqual(Array(9).fill(200));
    const counted = await status(marketing);
    expect([counted.eventsTotal, counted.deadLetteredTotal]).toEqual([before.eventsTotal + 8, before.deadLetteredTotal + 1]);
    await eventually(async () => {
      const r = await row();
      return Number(r.events_total) === before.eventsTotal + 8 && Number(r.dead_lettered_total) === before.deadLetteredTotal + 1 ? true : undefined;
    }, 10000, 'the counts written to the connectors table');

    // Paused through the operations API (as the CLI does): refused from the next call on, nothing sent.
    await request(connectors.url).post(`/v1/connectors/${marketing}/pause`).expect(200);
    const refused = await request(webhookUrl).post('').set('content-type', form).set(WEBHOOK_SIGNATURE_HEADER, signWebhook(SECRET, encodeMarketingWebhook(marketingWebhooks.subscribe(member(100))))).send(encodeMarketingWebhook(marketingWebhooks.subscribe(member(100))));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('60');
    await request(connectors.url).post(`/v1/connectors/${marketing}/resume`).expect(200);
    expect(await sender.send(marketingWebhooks.subscribe(member(101)))).toBe(200);

    // Paused in the table by another process (another instance's operations API): honoured within the refresh interval.
    await db.query(`UPDATE connectors SET state = 'paused' WHERE name = $1`, [marketing]);
    let acceptedMeanwhile = 0;
    await eventually(async () => {
      const code = await sender.send(marketingWebhooks.subscribe(member(200 + acceptedMeanwhile)));
      if (code === 200) acceptedMeanwhile++;
      return code === 503 ? true : undefined;
    }, 10000, 'a pause made by another process to be honoured');
    await db.query(`UPDATE connectors SET state = 'running' WHERE name = $1`, [marketing]);
    await eventually(async () => ((await sender.send(marketingWebhooks.subscribe(member(300)))) === 200 ? true : undefined), 10000, 'the resume made by another process');

    expect(await record(marketing, member(100).id)).toBeUndefined();
    await eventually(() => record(marketing, member(300).id), 60000, 'the webhook after the resume');
    expect((await status(marketing)).eventsTotal).toBe(before.eventsTotal + 8 + 1 + acceptedMeanwhile + 1);
  });

  it('should take identify and Order Completed from the official Segment client pointed at the hub', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: connectors.url, flushAt: 2, flushInterval: 200, maxRetries: 1 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    const userId = `user-${run}`;
    analytics.identify({ userId, traits: { email: `grace.${run}@example.invalid`, firstName: 'Grace', lastName: 'Hopper', address: { city: 'Arlington', postalCode: '22201', country: 'US' } } });
    analytics.track({ userId, event: 'Order Completed', properties: { order_id: `o-${run}`, total: 42.5, currency: 'usd', products: [{ sku: 'sku-1', category: 'books', quantity: 2, price: 21.25 }] } });
    analytics.track({ userId, event: 'Product Viewed', properties: { sku: 'sku-2' } });
    await analytics.closeAndFlush({ timeout: 15000 });
    expect(failures).toEqual([]);

    const row = await eventually(async () => {
      const found = await record(segment, userId);
      return found ? found : undefined;
    }, 60000, 'the identified user');
    expect(row.identifiers).toEqual(expect.arrayContaining([{ type: 'userId', value: userId }, { type: 'email', value: `grace.${run}@example.invalid` }]));
    const order = await eventually(() => record(segment, `order:o-${run}`), 60000, 'the order');
    expect(order.kind).toBe('order.placed');
    expect(order.identifiers).toContainEqual({ type: 'userId', value: userId });
    await eventually(async () => ((await status(segment)).eventsTotal === 2 ? true : undefined), 15000, 'identify and the order counted, the page view not');
  });

  it('should refuse a wrong write key, oversized messages, and apply a repeated messageId once', async () => {
    const auth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const identify = { userId: `dup-${run}`, messageId: `msg-${run}`, traits: { email: `dup.${run}@example.invalid` }, timestamp: new Date().toISOString() };
    await request(connectors.url).post('/v1/identify').set('authorization', auth('notTheRightKey1')).send(identify).expect(401);
    await request(connectors.url).post('/v1/identify').send(identify).expect(401);
    await request(connectors.url).post('/v1/identify').set('authorization', auth(WRITE_KEY)).send({ ...identify, traits: { bio: 'x'.repeat(33 * 1024) } }).expect(400);
    const big = Array.from({ length: 20 }, (_, i) => ({ type: 'identify', userId: `big-${i}`, traits: { bio: 'y'.repeat(30 * 1024) } }));
    await request(connectors.url).post('/v1/batch').set('authorization', auth(WRITE_KEY)).send({ batch: big }).expect(400);

    const before = (await status(segment)).eventsTotal;
    await request(connectors.url).post('/v1/identify').set('authorization', auth(WRITE_KEY)).send(identify).expect(200, { success: true });
    await request(connectors.url).post('/v1/batch').set('authorization', auth(WRITE_KEY)).send({ batch: [{ ...identify, type: 'identify' }] }).expect(200);
    expect((await status(segment)).eventsTotal).toBe(before + 1);
    await eventually(() => record(segment, `dup-${run}`), 60000, 'the deduplicated identify');
  });
});
