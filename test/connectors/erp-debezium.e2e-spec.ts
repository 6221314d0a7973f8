import { Client } from 'pg';
import { eventually, RunningService, startService, waitForReadiness } from '../support/services';
import { TOPICS } from '@tandem/contracts';
import { groupAtEnd, IngestTail, kafkaClient, startDebezium, stopDebezium } from './erp-support';

// Real Debezium: Kafka Connect standalone with the PostgreSQL connector captures tandem_erp_test.
const ERP_DATABASE_URL = process.env.ERP_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tandem_erp_test';

describe('ERP connector over real Debezium: ERP database → Debezium → connector → ingest topic → source_records', () => {
  const run = Date.now().toString(36);
  const source = `erp-${run}`;
  let erp: Client;
  let hub: Client;
  let connectors: RunningService;
  let identity: RunningService;
  let tail: IngestTail;
  let startedDebezium = false;

  beforeAll(async () => {
    startedDebezium = !(await startDebezium()).reused;
    erp = new Client({ connectionString: ERP_DATABASE_URL });
    hub = new Client({ connectionString: process.env.DATABASE_URL });
    await Promise.all([erp.connect(), hub.connect()]);
    const kafka = kafkaClient(`e2e-erp-${run}`);
    tail = new IngestTail(kafka, source);
    await tail.start();
    // Both start at the topics' current ends: only this suite's changes, no backlog (a resync re-reads all).
    const erpGroup = await groupAtEnd(kafka, `e2e-erp-${run}`, ['erp.public.customers', 'erp.public.orders']);
    const identityGroup = await groupAtEnd(kafka, `e2e-erp-identity-${run}`, [TOPICS.customerEvents]);
    [connectors, identity] = await Promise.all([
      startService('connectors', { ERP_CONNECTOR_ENABLED: 'true', ERP_SOURCE: source, ERP_CONSUMER_GROUP: erpGroup, DLQ_RECORDER_ENABLED: 'false', SANDBOX_ENABLED: 'false' }),
      startService('identity', { IDENTITY_CONSUMER_GROUP: identityGroup }),
    ]);
    await Promise.all([waitForReadiness(connectors), waitForReadiness(identity)]);
  }, 360_000);

  afterAll(async () => {
    await Promise.all([connectors?.stop(), identity?.stop(), tail?.stop()]);
    await Promise.all([erp?.end(), hub?.end()]);
    // Leave a worker someone else started; stop ours (npm test stops the broker it started).
    if (startedDebezium) await stopDebezium();
  });

  const sourceRecord = (id: string) =>
    hub.query('SELECT record_version, deleted, attributes, identifiers FROM source_records WHERE source = $1 AND source_record_id = $2', [source, id]).then((r) => r.rows[0]);

  it('should turn inserts, updates and deletes in the ERP into canonical events with order aggregates, and store the record', async () => {
    // Everything here is made up for the test; example.invalid never delivers mail.
    const customer = await erp.query(
      `INSERT INTO customers (customer_number, email, first_name, last_name, phone, city, country, birth_date)
       VALUES ($1, $2, 'Erpa', 'Testsson', '+46 70 000 00 01', 'Nowhere', 'SE', '1985-04-12') RETURNING id`,
      [`E2E-${run}`, `erpa.${run}@example.invalid`],
    );
    const id = String(customer.rows[0].id);
    await erp.query(
      `INSERT INTO orders (order_number, customer_id, placed_at, total, currency, category) VALUES
         ($1, $3, '2026-01-10T10:00:00Z', 49.90, 'EUR', 'shoes'),
         ($2, $3, '2026-02-20T10:00:00Z', 20.00, 'EUR', 'books')`,
      [`SO-${run}-1`, `SO-${run}-2`, id],
    );
    await erp.query(`UPDATE customers SET city = 'Elsewhere' WHERE id = $1`, [id]);
    await erp.query(`DELETE FROM orders WHERE order_number = $1`, [`SO-${run}-2`]);

    // The last event says the final state: new city, one order left (the shoes).
    const final = await eventually(async () => {
      const events = tail.of(id);
      const last = events[events.length - 1];
      return last?.attributes.city === 'Elsewhere' && last.personalization?.orderCount === 1 ? last : undefined;
    }, 60_000, 'the final customer event in the ingest topic');
    // Which kind says it last depends on which topic partition was read last; the state is the same.
    expect(['customer.upserted', 'order.placed']).toContain(final.kind);
    expect(final).toMatchObject({
      source,
      attributes: { givenName: 'Erpa', familyName: 'Testsson', city: 'Elsewhere', country: 'SE', birthDate: '1985-04-12' },
      personalization: { orderCount: 1, lifetimeValue: 49.9, currency: 'EUR', favouriteCategory: 'shoes', lastOrderAt: '2026-01-10T10:00:00.000Z' },
    });
    expect(final.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'customerNumber', value: `E2E-${run}` },
        { type: 'email', value: `erpa.${run}@example.invalid` },
      ]),
    );
    // The kept order is announced, even when the orders topic was read before the customers topic.
    const placed = tail.of(id).filter((e) => e.kind === 'order.placed');
    expect(placed.map((e) => e.order?.orderId)).toContain(`SO-${run}-1`);
    expect(placed.find((e) => e.order?.orderId === `SO-${run}-1`)?.order).toEqual({ orderId: `SO-${run}-1`, placedAt: '2026-01-10T10:00:00.000Z', total: 49.9, currency: 'EUR' });
    // Versions only grow, and every event has its own id.
    const versions = tail.of(id).map((e) => e.recordVersion);
    expect(new Set(tail.of(id).map((e) => e.eventId)).size).toBe(versions.length);

    // The hub stores the newest version said (more events may have followed the one above).
    const stored = await eventually(async () => {
      const newest = tail.of(id).at(-1)!;
      const row = await sourceRecord(id);
      return row && Number(row.record_version) === newest.recordVersion ? row : undefined;
    }, 60_000, 'the record in source_records');
    expect(stored.deleted).toBe(false);
    expect(stored.attributes.city).toBe('Elsewhere');

    // Deleting the customer in the ERP (its orders go with it) deletes the record in the hub.
    await erp.query(`DELETE FROM customers WHERE id = $1`, [id]);
    const deleted = await eventually(async () => tail.of(id).find((e) => e.kind === 'customer.deleted'), 60_000, 'the customer.deleted event');
    expect(deleted.recordVersion).toBeGreaterThan(Number(stored.record_version));
    expect(deleted.identifiers).toEqual([{ type: 'customerNumber', value: `E2E-${run}` }]);
    await eventually(async () => ((await sourceRecord(id))?.deleted === true ? true : undefined), 60_000, 'the deleted record in source_records');
  });

  it('should report the ERP connector as running with its event count in the operations API', async () => {
    const response = await fetch(`${connectors.url}/v1/connectors/${source}`);
    expect(response.status).toBe(200);
    const status = (await response.json()) as { eventsTotal: number };
    expect(status).toMatchObject({ name: source, kind: 'erp', state: 'running' });
    // Every event this source said so far, as the ingest topic saw them.
    expect(status.eventsTotal).toBe(tail.events.length);
  });

  it('should re-read the change topics from the beginning on a resync and say every record again', async () => {
    const before = tail.events.length;
    const lastVersion = Math.max(...tail.events.map((e) => e.recordVersion));
    const asked = await fetch(`${connectors.url}/v1/connectors/${source}/resync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fromBeginning: true }) });
    expect(asked.status).toBe(202);
    const finished = await eventually(async () => {
      const status = (await (await fetch(`${connectors.url}/v1/connectors/${source}`)).json()) as { resync: { finishedAt: string | null; requested: boolean } };
      return status.resync.finishedAt ? status : undefined;
    }, 90_000, 'the resync to finish');
    expect(finished.resync.requested).toBe(false);
    const again = tail.events.slice(before);
    expect(again.length).toBeGreaterThan(0);
    // Said again with newer versions, so the hub applies them rather than ignoring them as old.
    expect(Math.max(...again.map((e) => e.recordVersion))).toBeGreaterThan(lastVersion);
  });
});
