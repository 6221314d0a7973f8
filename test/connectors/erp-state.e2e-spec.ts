import { DataSource } from 'typeorm';
import { CustomerEventV1 } from '@tandem/contracts';
import { EventProducer, OutgoingMessage } from '@tandem/messaging';
import { connectDatabase } from '@tandem/persistence';
import { applyErpBatch } from '../../apps/connectors/src/erp/erp-connector.service';
import { ErpChange, ErpCustomerChange, ErpOrderChange } from '../../apps/connectors/src/erp/erp-change.mapper';

/**
 * The ERP connector's state in PostgreSQL, one transaction per batch (`applyErpBatch`) against the
 * real database; Kafka is stood in for by a producer that acknowledges after a delay, so that
 * transactions of one source overlap as they do with several partitions and instances.
 */
describe('ERP connector state in PostgreSQL (erp_customers, erp_orders)', () => {
  const run = Date.now().toString(36);
  let databases: DataSource[] = [];
  const sent: CustomerEventV1[] = [];
  const producer = {
    send: async (_topic: string, messages: OutgoingMessage[]) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const m of messages) sent.push(JSON.parse(m.value as string));
      return [];
    },
  } as unknown as EventProducer;

  let lsn = 1000;
  const customer = (id: string, email: string): ErpCustomerChange => ({
    table: 'customers', customerId: id, lsn: (lsn += 8), occurredAt: new Date(lsn * 1000).toISOString(), deleted: false,
    identifiers: [{ type: 'customerNumber', value: `K-${id}` }, { type: 'email', value: email }], attributes: { givenName: 'Test' },
  });
  const order = (id: string, customerId: string, placedAt: string, totalCents: number, extra: Partial<ErpOrderChange> = {}): ErpOrderChange => ({
    table: 'orders', orderId: id, orderNumber: `O-${id}`, customerId, lsn: (lsn += 8), occurredAt: new Date(lsn * 1000).toISOString(), deleted: false,
    created: true, placedAt, totalCents, currency: 'EUR', category: 'shoes', ...extra,
  });
  const apply = (source: string, changes: ErpChange[], db = databases[0]) => applyErpBatch(db, producer, source, changes, 'unused-topic', 2);
  const latest = (source: string, id: string) => sent.filter((e) => e.source === source && e.sourceRecordId === id).sort((a, b) => b.recordVersion - a.recordVersion)[0];

  beforeAll(async () => {
    const url = process.env.DATABASE_URL!;
    databases = await Promise.all([1, 2].map(() => connectDatabase({ url, timeoutMs: 30_000 })));
  });

  afterAll(async () => {
    await databases[0]?.query(`DELETE FROM erp_orders WHERE source LIKE $1`, [`e2e-state-${run}%`]);
    await databases[0]?.query(`DELETE FROM erp_customers WHERE source LIKE $1`, [`e2e-state-${run}%`]);
    await Promise.all(databases.map((db) => db.destroy()));
  });

  it('should lose no order and repeat no version when batches of one source overlap from two connections', async () => {
    const source = `e2e-state-${run}-a`;
    await apply(source, [customer('1', 'one@example.com'), customer('2', 'two@example.com')]);
    // Two instances' batches at once, both touching customer 1, each sending in steps while its transaction is open.
    const first = Array.from({ length: 6 }, (_, i) => order(`a${i}`, '1', `2025-01-0${i + 1}T10:00:00.000Z`, 1000));
    const second = [...Array.from({ length: 6 }, (_, i) => order(`b${i}`, '1', `2025-02-0${i + 1}T10:00:00.000Z`, 500)), order('c0', '2', '2025-03-01T10:00:00.000Z', 700)];
    await Promise.all([apply(source, first, databases[0]), apply(source, second, databases[1])]);
    const events = sent.filter((e) => e.source === source && e.sourceRecordId === '1');
    const versions = events.map((e) => e.recordVersion);
    expect(new Set(versions).size).toBe(versions.length);
    expect(events.filter((e) => e.kind === 'order.placed')).toHaveLength(12);
    expect(latest(source, '1').personalization).toEqual({ orderCount: 12, lifetimeValue: 90, lastOrderAt: '2025-02-06T10:00:00.000Z', currency: 'EUR', favouriteCategory: 'shoes' });
    expect(latest(source, '2').personalization).toMatchObject({ orderCount: 1, lifetimeValue: 7 });
  });

  it('should announce an order read before its customer once the customer arrives, in a later transaction', async () => {
    const source = `e2e-state-${run}-b`;
    expect(await apply(source, [order('x1', '9', '2025-01-01T10:00:00.000Z', 2500)])).toEqual([]);
    const events = await apply(source, [customer('9', 'nine@example.com')]);
    expect(events.map((e) => e.kind)).toEqual(['order.placed', 'customer.upserted']);
    expect(events[1].personalization).toMatchObject({ orderCount: 1, lifetimeValue: 25 });
    expect(events[1].identifiers).toContainEqual({ type: 'email', value: 'nine@example.com' });
  });

  it('should fall back to the previous order when the latest is deleted, and keep the customer when only an order changed', async () => {
    const source = `e2e-state-${run}-c`;
    await apply(source, [customer('5', 'five@example.com'), order('p1', '5', '2025-01-01T10:00:00.000Z', 1000), order('p2', '5', '2025-06-01T10:00:00.000Z', 3000)]);
    const events = await apply(source, [order('p2', '5', '2025-06-01T10:00:00.000Z', 3000, { deleted: true, created: false })]);
    expect(events.map((e) => e.kind)).toEqual(['customer.upserted']);
    expect(events[0].personalization).toMatchObject({ orderCount: 1, lifetimeValue: 10, lastOrderAt: '2025-01-01T10:00:00.000Z' });
    // The customer's identifiers were not rewritten by an order-only batch.
    expect(events[0].identifiers).toContainEqual({ type: 'email', value: 'five@example.com' });
  });

  it('should keep both customers\' aggregates right when an order moves to another customer steps after its customer was last changed', async () => {
    const source = `e2e-state-${run}-e`;
    await apply(source, [customer('11', 'eleven@example.com'), customer('12', 'twelve@example.com')]);
    // Steps of two changes: 11's orders, then 12's, then m1 moves from 11 to 12 (11 is stored after that step, not after its own).
    await apply(source, [
      order('m1', '11', '2025-01-01T10:00:00.000Z', 1000),
      order('m2', '11', '2025-02-01T10:00:00.000Z', 2000),
      order('m3', '12', '2025-03-01T10:00:00.000Z', 500),
      order('m4', '12', '2025-03-02T10:00:00.000Z', 500),
      order('m1', '12', '2025-01-01T10:00:00.000Z', 1000, { created: false }),
    ]);
    // The next transaction starts from what was stored.
    await apply(source, [order('m5', '11', '2025-04-01T10:00:00.000Z', 300), order('m6', '12', '2025-04-02T10:00:00.000Z', 100)]);
    expect(latest(source, '11').personalization).toMatchObject({ orderCount: 2, lifetimeValue: 23, lastOrderAt: '2025-04-01T10:00:00.000Z' });
    expect(latest(source, '12').personalization).toMatchObject({ orderCount: 4, lifetimeValue: 21, lastOrderAt: '2025-04-02T10:00:00.000Z' });
  });

  it('should say nothing new when a batch is delivered again', async () => {
    const source = `e2e-state-${run}-d`;
    const batch = [customer('7', 'seven@example.com'), order('q1', '7', '2025-01-01T10:00:00.000Z', 100)];
    expect(await apply(source, batch)).toHaveLength(2);
    expect(await apply(source, batch)).toEqual([]);
  });
});
