import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { customerEventId, CustomerEventV1, signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { encodeMarketingWebhook, marketingWebhooks, subscriberId } from '@tandem/sandbox';
import { ConnectorsConfig } from '../connectors.config';
import { RefusedRecord, SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { PushedConnector } from '../registry/pushed-connector';
import { MARKETING_WEBHOOKS_PATH, MarketingWebhooksRoute } from './marketing-webhooks.route';

const SECRET = 'unit-marketing-secret-0123456789';
const FORM = 'application/x-www-form-urlencoded';
const member = { id: subscriberId('ann@example.invalid'), listId: 'l1', email: 'ann@example.invalid', status: 'subscribed' as const, merges: { FNAME: 'Ann', LNAME: 'Lee' } };

interface Write {
  events: CustomerEventV1[];
  refused: RefusedRecord[];
  acknowledge(): void;
  fail(error: Error): void;
}

/** The route on a bare Fastify instance, its Kafka writes held until the test acknowledges them. */
async function serve(options: { paused?: boolean } = {}) {
  const writes: Write[] = [];
  const output = {
    write: (_connector: string, _source: string, events: CustomerEventV1[], refused: RefusedRecord[] = []) =>
      new Promise<void>((resolve, reject) => writes.push({ events, refused, acknowledge: resolve, fail: reject })),
  } as unknown as SourceOutput;
  const connector = new PushedConnector('marketing', { reportSuccess: async () => ({ paused: false }), isPaused: async () => options.paused ?? false }, 60_000);
  await connector.start();
  const registry = { register: async () => ({}), pushed: async () => connector } as unknown as ConnectorRegistry;
  const config = { MARKETING_SOURCE: 'marketing', MARKETING_WEBHOOK_SECRET: SECRET, PUSHED_REGISTRY_INTERVAL_MS: 60_000 } as ConnectorsConfig;
  const route = new MarketingWebhooksRoute(config, output, registry, pino({ level: 'silent' }));
  await route.onApplicationBootstrap();
  const fastify: FastifyInstance = Fastify();
  route.mount(fastify);
  await fastify.ready();
  const post = (body: string, headers: Record<string, string> = {}) => fastify.inject({ method: 'POST', url: MARKETING_WEBHOOKS_PATH, headers: { 'content-type': FORM, ...headers }, payload: body });
  const signed = (body: string) => post(body, { [WEBHOOK_SIGNATURE_HEADER]: signWebhook(SECRET, body) });
  return { fastify, writes, connector, post, signed, close: () => connector.close().then(() => fastify.close()) };
}

/** Lets the route run until it waits on the Kafka write (a few turns of the event loop at most). */
async function untilWritten(writes: Write[]): Promise<Write> {
  for (let turn = 0; turn < 100 && writes.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
  if (writes.length === 0) throw new Error('the route wrote nothing to Kafka');
  return writes[0];
}

describe('MarketingWebhooksRoute', () => {
  it('should answer 200 only after Kafka acknowledged the event, and count it then', async () => {
    const app = await serve();
    const at = new Date('2026-11-20T10:00:00Z');
    let answered = false;
    const response = app.signed(encodeMarketingWebhook(marketingWebhooks.subscribe(member, at))).then((r) => ((answered = true), r));
    await untilWritten(app.writes);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.writes).toHaveLength(1);
    expect(answered).toBe(false);
    expect(app.connector.unwritten.events).toBe(0);

    app.writes[0].acknowledge();
    const answer = await response;
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ accepted: 1, deadLettered: 0 });
    expect(app.writes[0].events).toEqual([
      expect.objectContaining({ eventId: customerEventId('marketing', member.id, at.getTime(), 'subscribe'), kind: 'consent.changed', sourceRecordId: member.id }),
    ]);
    expect(app.connector.unwritten.events).toBe(1);
    await app.close();
  });

  it('should answer no 2xx when Kafka does not acknowledge, so the tool sends the webhook again', async () => {
    const app = await serve();
    const response = app.signed(encodeMarketingWebhook(marketingWebhooks.subscribe(member)));
    (await untilWritten(app.writes)).fail(new Error('broker unreachable'));
    expect((await response).statusCode).toBe(500);
    expect(app.connector.unwritten.events).toBe(0);
    await app.close();
  });

  it('should answer 401 and write nothing when a webhook is unsigned, signed with another secret, altered or stale', async () => {
    const app = await serve();
    const body = encodeMarketingWebhook(marketingWebhooks.subscribe(member));
    const stale = signWebhook(SECRET, body, Math.floor(Date.now() / 1000) - 3600);
    const answers = await Promise.all([
      app.post(body),
      app.post(body, { [WEBHOOK_SIGNATURE_HEADER]: signWebhook('some-other-secret-000000', body) }),
      app.post(body.replace('subscribe', 'unsubscribe'), { [WEBHOOK_SIGNATURE_HEADER]: signWebhook(SECRET, body) }),
      app.post(body, { [WEBHOOK_SIGNATURE_HEADER]: stale }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401]);
    expect(answers[0].json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: `missing ${WEBHOOK_SIGNATURE_HEADER} header` });
    expect(answers[3].json().message).toBe('signature timestamp outside the tolerance');
    expect(app.writes).toHaveLength(0);
    await app.close();
  });

  it('should dead-letter a signed webhook it cannot map, with the reason, and answer 200 after Kafka acknowledged', async () => {
    const app = await serve();
    const body = 'type=resubscribe&fired_at=2026-11-20+10%3A00%3A00&data%5Bid%5D=abc&data%5Bemail%5D=ann%40example.invalid';
    const response = app.signed(body);
    await untilWritten(app.writes);
    expect(app.writes[0].events).toEqual([]);
    expect(app.writes[0].refused).toEqual([
      { sourceRecordId: 'abc', payload: { type: 'resubscribe', fired_at: '2026-11-20 10:00:00', data: { id: 'abc', email: 'ann@example.invalid' } }, errors: ['unknown webhook type "resubscribe"'] },
    ]);
    app.writes[0].acknowledge();
    const answer = await response;
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ accepted: 0, deadLettered: 1 });
    expect(app.connector.unwritten).toMatchObject({ events: 0, deadLettered: 1 });
    await app.close();
  });

  it('should answer 503 with retry-after and write nothing when the connector is paused', async () => {
    const app = await serve({ paused: true });
    const answer = await app.signed(encodeMarketingWebhook(marketingWebhooks.subscribe(member)));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['retry-after']).toBe('60');
    expect(answer.json()).toMatchObject({ statusCode: 503, message: 'connector marketing is paused' });
    expect(app.writes).toHaveLength(0);
    await app.close();
  });

  it('should answer 415 when a webhook is not form-encoded, and 200 to the GET that checks the URL', async () => {
    const app = await serve();
    const json = await app.fastify.inject({ method: 'POST', url: MARKETING_WEBHOOKS_PATH, payload: { type: 'subscribe' } });
    expect(json.statusCode).toBe(415);
    expect(json.json().message).toBe('webhooks must be application/x-www-form-urlencoded');
    expect((await app.fastify.inject({ method: 'GET', url: MARKETING_WEBHOOKS_PATH })).json()).toEqual({ ok: true });
    expect(app.writes).toHaveLength(0);
    await app.close();
  });
});
