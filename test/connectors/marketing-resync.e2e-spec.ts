import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { CustomerEventV1, DEAD_LETTER_HEADERS, TOPICS } from '@tandem/contracts';
import { generateCustomerBase, MarketingListSimulator, MarketingWebhookSender, marketingWebhooks, subscriberId } from '@tandem/sandbox';
import { eventually, REPO_ROOT, RunningService, startService, waitForReadiness } from '../support/services';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/**
 * A marketing resync against a simulated Mailchimp members API, the real Kafka and PostgreSQL:
 * every member comes onto the ingest topic as one event and the resync ends; a second resync repeats
 * the same event ids; a resync from an instant takes only members changed since; a bad cursor is a
 * 400 and a Segment resync a 409; 429/503 show backing-off and recover; a pause holds the pull
 * while webhooks are still served.
 */
describe('marketing resync end to end', () => {
  const run = Date.now().toString(36);
  const source = `mkt-${run}`;
  const segment = `seg-${run}`;
  const secret = 'e2e-marketing-secret-0123456789';
  const subscribers = generateCustomerBase({ people: 160, seed: 21 }).subscribers;
  const start = Date.parse('2026-10-01T00:00:00Z');
  const list = new MarketingListSimulator({ apiKey: 'e2e-key-us1', listId: 'e2eaud', pageDelayMs: 20 });
  // One member a minute, so an instant splits the list.
  list.seed(subscribers, (i) => new Date(start + i * 60_000));
  const poisonEmail = `${'x'.repeat(400)}@example.invalid`;
  list.put({ id: subscriberId(poisonEmail), email_address: poisonEmail, status: 'subscribed', merge_fields: { FNAME: 'Poison' }, last_changed: '2026-10-01T00:00:30+00:00', list_id: 'e2eaud' });
  const valid = () => list.list().filter((m) => m.email_address !== poisonEmail);

  let connectors: RunningService;
  let consumer: Consumer;
  const events: CustomerEventV1[] = [];
  const letters: { key: string; error: string }[] = [];

  const status = async () => (await request(connectors.url).get(`/v1/connectors/${source}`).expect(200)).body;
  const resync = (body: object) => request(connectors.url).post(`/v1/connectors/${source}/resync`).send(body);
  const finished = (what: string, timeoutMs = 60000) =>
    eventually(async () => {
      const body = await status();
      return body.resync.finishedAt && !body.resync.requested ? body : undefined;
    }, timeoutMs, what);
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), ...args], { env: { ...process.env, CONNECTORS_URL: connectors.url }, timeout: 90000 });

  beforeAll(async () => {
    const apiUrl = await list.start();
    // A group of its own at the end of both topics: it sees only what this suite's connector writes.
    const kafka = new Kafka({ brokers, clientId: `e2e-mkt-${run}`, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const groupId = `e2e-mkt-${run}`;
    for (const topic of [TOPICS.customerEvents, TOPICS.customerEventsDeadLetter]) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })) });
    }
    await admin.disconnect();
    consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.customerEvents, TOPICS.customerEventsDeadLetter] });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString() ?? '';
        if (!key.startsWith(`${source}:`)) return;
        if (topic === TOPICS.customerEvents) events.push(JSON.parse(message.value!.toString()));
        else letters.push({ key, error: message.headers?.[DEAD_LETTER_HEADERS.error]?.toString() ?? '' });
      },
    });
    connectors = await startService('connectors', {
      SANDBOX_ENABLED: 'false',
      MARKETING_SOURCE: source,
      SEGMENT_SOURCE: segment,
      MARKETING_WEBHOOK_SECRET: secret,
      MARKETING_API_URL: apiUrl,
      MARKETING_API_KEY: 'e2e-key-us1',
      MARKETING_LIST_ID: 'e2eaud',
      MARKETING_PAGE_SIZE: '10',
      MARKETING_MAX_BACKOFF_MS: '2000',
      PUSHED_REGISTRY_INTERVAL_MS: '300',
    });
    await waitForReadiness(connectors);
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await connectors?.stop();
    await list.stop();
  });

  it('should put every member on the ingest topic as one event, dead-letter the one that cannot be, and end the resync', async () => {
    const accepted = await resync({ fromBeginning: true }).expect(202);
    expect(accepted.body.resync.requested).toBe(true);
    const done = await finished('the resync from the beginning to finish');
    expect(done).toMatchObject({ kind: 'marketing-webhooks', state: 'running', deadLetteredTotal: 1, resync: { events: valid().length, total: list.size } });
    await eventually(async () => (events.length >= valid().length ? true : undefined), 20000, 'every event consumed');
    const byRecord = new Map(events.map((e) => [e.sourceRecordId, e]));
    expect([...byRecord.keys()].sort()).toEqual(valid().map((m) => m.id).sort());
    for (const member of valid()) {
      const event = byRecord.get(member.id)!;
      expect({ id: member.id, version: event.recordVersion, email: event.identifiers[0]?.value }).toEqual({ id: member.id, version: Date.parse(member.last_changed), email: member.email_address });
    }
    const unsubscribed = valid().find((m) => m.status === 'unsubscribed')!;
    expect(byRecord.get(unsubscribed.id)).toMatchObject({ kind: 'email.unsubscribed', consents: [{ channel: 'email', status: 'withdrawn' }] });
    const letter = await eventually(async () => letters.find((l) => l.key === `${source}:${subscriberId(poisonEmail)}`), 20000, 'the poison member in the dead-letter topic');
    expect(letter.error).toContain('identifiers');
  });

  it('should give the same event ids on a second resync (from the command line)', async () => {
    const first = new Map(events.map((e) => [e.sourceRecordId, e.eventId]));
    events.length = 0;
    const { stdout } = await cli('connectors', 'resync', source);
    expect(stdout).toContain(`${source}: resync finished, ${valid().length} events`);
    await eventually(async () => (events.length >= valid().length ? true : undefined), 20000, 'the second pass consumed');
    expect(new Map(events.map((e) => [e.sourceRecordId, e.eventId]))).toEqual(first);
  });

  it('should take only the members changed since the instant given as cursor', async () => {
    const sorted = valid().sort((a, b) => Date.parse(a.last_changed) - Date.parse(b.last_changed));
    const instant = new Date(Date.parse(sorted[Math.floor(sorted.length * 0.7)].last_changed)).toISOString();
    const since = sorted.filter((m) => Date.parse(m.last_changed) >= Date.parse(instant)).map((m) => m.id);
    events.length = 0;
    await resync({ fromCursor: instant }).expect(202);
    const done = await finished('the resync from an instant to finish');
    expect(done.resync.events).toBe(since.length);
    await eventually(async () => (events.length >= since.length ? true : undefined), 20000, 'the members changed since');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(events.map((e) => e.sourceRecordId).sort()).toEqual([...since].sort());
  });

  it('should refuse a bad cursor with 400 naming it, and a Segment resync with 409 and why (also on the command line)', async () => {
    const bad = await resync({ fromCursor: 'last tuesday' }).expect(400);
    expect(bad.body.message).toContain('"last tuesday"');
    expect(bad.body.message).toContain('ISO 8601');
    const refused = await request(connectors.url).post(`/v1/connectors/${segment}/resync`).send({ fromBeginning: true }).expect(409);
    expect(refused.body.message).toContain('cannot ask them to send again');
    expect((await status()).resync.requested).toBe(false);
    const failure = await cli('connectors', 'resync', segment).then(() => null, (error: { code: number; stderr: string }) => error);
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('the Segment collection API cannot resync');
  });

  it('should show backing-off while the members API answers 429 and 503, then complete without an operator', async () => {
    events.length = 0;
    list.injectFault({ status: 429, count: 1, retryAfterSeconds: 1 });
    list.injectFault({ status: 503, count: 3, retryAfterSeconds: 1 });
    await resync({ fromBeginning: true }).expect(202);
    await eventually(async () => ((await status()).state === 'backing-off' ? true : undefined), 20000, 'state backing-off');
    const done = await finished('the resync to finish after the faults');
    expect(done.state).toBe('running');
    expect(done.errorCount).toBeGreaterThanOrEqual(4);
    await eventually(async () => (new Set(events.map((e) => e.sourceRecordId)).size >= valid().length ? true : undefined), 20000, 'every member after the faults');
  });

  it('should hold a resync while paused, keep serving webhooks, and finish it after resume', async () => {
    list.pageDelayMs = 300;
    events.length = 0;
    await resync({ fromBeginning: true }).expect(202);
    await eventually(async () => ((await status()).resync.events >= 20 ? true : undefined), 30000, 'the first pages of the resync');
    await request(connectors.url).post(`/v1/connectors/${source}/pause`).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // pages already asked for may come in
    const calls = list.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(list.requests.length).toBe(calls);
    expect((await status()).resync.finishedAt).toBeNull();
    await request(connectors.url).post(`/v1/connectors/${source}/resume`).expect(200);
    // A webhook during the pull is answered at once (after Kafka acknowledged it).
    const sender = new MarketingWebhookSender({ url: `${connectors.url}/v1/webhooks/marketing`, secret });
    expect(await sender.send(list.apply(marketingWebhooks.profile(subscribers[0], new Date())))).toBe(200);
    const done = await finished('the resync to finish after resume', 90000);
    expect(done.state).toBe('running');
    // Two members come twice: the one at the checkpoint's second, taken again when the pull goes on
    // after the pause (the source's precision is a second; same event id), and the one the webhook
    // changed, moved to the end of the list and pulled again with its new state. The webhook's own
    // event counts on the connector, not in the resync's progress.
    expect(done.resync.events).toBe(valid().length + 2);
    list.pageDelayMs = 20;
  });
});
