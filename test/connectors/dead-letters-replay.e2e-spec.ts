import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { Producer } from 'kafkajs';
import { eventually, REPO_ROOT, RunningService, startService, waitForReadiness } from '../support/services';
import { TOPICS } from '@tandem/contracts';
import { debeziumEnvelope, groupAtEnd, IngestTail, kafkaClient } from './erp-support';

interface DeadLetter {
  id: string;
  status: string;
  originalTopic: string;
  originalOffset: string;
  reason: string;
  payloadJson?: { after?: { currency?: string } };
}

describe('dead letters: a poison ERP record reaches the dead-letter store and replays after the fix', () => {
  const run = Date.now().toString(36);
  const prefix = `e2edl${run}`;
  const source = `erpdl-${run}`;
  const ordersTopic = `${prefix}.public.orders`;
  const kafka = kafkaClient(`e2e-dlq-${run}`);
  const env = {
    ERP_CONNECTOR_ENABLED: 'true',
    ERP_SOURCE: source,
    ERP_TOPIC_PREFIX: prefix,
    ERP_TOPIC_PARTITIONS: '1',
    ERP_CONSUMER_GROUP: `e2e-erpdl-${run}`,
    DLQ_RECORDER_GROUP: `e2e-dlq-${run}`,
    SANDBOX_ENABLED: 'false',
  };
  let connectors: RunningService | undefined;
  let producer: Producer;
  let tail: IngestTail;

  beforeAll(async () => {
    producer = kafka.producer();
    tail = new IngestTail(kafka, source);
    await Promise.all([producer.connect(), tail.start()]);
    // The recorder starts at the dead-letter topic's end: only this suite's dead letters to read.
    await groupAtEnd(kafka, env.DLQ_RECORDER_GROUP, [TOPICS.customerEventsDeadLetter]);
  });

  afterAll(async () => {
    await connectors?.stop();
    await Promise.all([producer?.disconnect(), tail?.stop()]);
  });

  // A new connection per call: the CLI below runs with spawnSync, and a kept-alive socket the server
  // closed (after its 5 s keep-alive) while this process was blocked was reused and failed the call.
  const api = <T>(method: string, route: string): Promise<{ status: number; body: T }> =>
    new Promise((resolve, reject) => {
      const request = http.request(`${connectors!.url}${route}`, { method, agent: false }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as T }));
      });
      request.on('error', reject);
      request.end();
    });
  const deadLetters = async (status?: string) =>
    (await api<{ items: DeadLetter[] }>('GET', `/v1/dead-letters?topic=${encodeURIComponent(ordersTopic)}${status ? `&status=${status}` : ''}`)).body.items;
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), 'dlq', ...args], {
      encoding: 'utf8',
      env: { ...process.env, CONNECTORS_URL: connectors!.url },
    });

  it('should dead-letter an order whose currency is not ISO, keep going, and replay it once the alias is configured', async () => {
    connectors = await startService('connectors', env);
    await waitForReadiness(connectors);
    const customer = { id: 1, customer_number: `DL-${run}`, email: `dl.${run}@example.invalid`, first_name: 'Dela', last_name: 'Letterby', phone: null, street: null, postcode: null, city: 'Nowhere', country: 'SE', birth_date: null, updated_at: '2026-11-22T21:29:02.342731Z' };
    const order = { id: 10, order_number: `SO-DL-${run}`, customer_id: 1, placed_at: '2026-11-01T09:00:00Z', total: '75.50', currency: 'EURO', category: 'garden', status: 'placed' };
    await producer.send({ topic: `${prefix}.public.customers`, messages: [{ key: '{"id":1}', value: JSON.stringify(debeziumEnvelope('customers', 'c', customer, 1000)) }] });
    await producer.send({ topic: ordersTopic, messages: [{ key: '{"id":10}', value: JSON.stringify(debeziumEnvelope('orders', 'c', order, 1100)) }] });

    // The customer still gets through; the order waits in the dead-letter store with its reason.
    await eventually(async () => tail.of('1').find((e) => e.kind === 'customer.upserted'), 60_000, 'the customer event');
    const [letter] = await eventually(async () => {
      const open = await deadLetters('open');
      return open.length ? open : undefined;
    }, 60_000, 'the dead letter in the store');
    expect(letter.reason).toContain('"EURO" is not an ISO 4217 code');
    expect(letter).toMatchObject({ originalTopic: ordersTopic, originalOffset: '0' });
    const detail = await api<DeadLetter>('GET', `/v1/dead-letters/${letter.id}`);
    expect(detail.body.payloadJson?.after?.currency).toBe('EURO');
    expect(tail.of('1').some((e) => e.kind === 'order.placed')).toBe(false);

    // The fix: the ERP's code is mapped. Restart with it, then replay from the command line.
    await connectors.stop();
    connectors = await startService('connectors', { ...env, ERP_CURRENCY_ALIASES: 'EURO:EUR' });
    await waitForReadiness(connectors);
    const replay = cli('replay', letter.id);
    expect(replay.stderr).toBe('');
    expect(replay.stdout).toContain('replayed 1 of 1');
    expect(replay.status).toBe(0);

    const placed = await eventually(async () => tail.of('1').find((e) => e.kind === 'order.placed'), 60_000, 'the order.placed event after the replay');
    expect(placed.order).toEqual({ orderId: `SO-DL-${run}`, placedAt: '2026-11-01T09:00:00.000Z', total: 75.5, currency: 'EUR' });
    expect(placed.personalization).toMatchObject({ orderCount: 1, lifetimeValue: 75.5, currency: 'EUR', favouriteCategory: 'garden' });

    const listed = JSON.parse(cli('list', '--topic', ordersTopic, '--json').stdout) as { items: DeadLetter[] };
    expect(listed.items.find((d) => d.id === letter.id)?.status).toBe('replayed');
    // A second replay would send it twice: refused.
    expect((await api('POST', `/v1/dead-letters/${letter.id}/replay`)).status).toBe(409);
  });

  it('should discard a dead letter that cannot be fixed, after which it cannot be replayed', async () => {
    await producer.send({ topic: ordersTopic, messages: [{ key: '{"id":11}', value: '{"before": null, "after": ' }] });
    const [letter] = await eventually(async () => {
      const open = await deadLetters('open');
      return open.length ? open : undefined;
    }, 60_000, 'the unreadable message in the store');
    expect(letter.reason).toContain('not valid JSON');
    const discard = cli('discard', letter.id);
    expect(discard.stdout).toContain('discarded 1 of 1');
    expect((await api<DeadLetter>('GET', `/v1/dead-letters/${letter.id}`)).body.status).toBe('discarded');
    expect((await api('POST', `/v1/dead-letters/${letter.id}/replay`)).status).toBe(409);
    expect(await deadLetters('open')).toEqual([]);
  });
});
