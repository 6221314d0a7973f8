import fs from 'node:fs';
import path from 'node:path';
import { parseCustomerEvent } from '@tandem/contracts';
import { decodeDebeziumMessage } from './debezium-envelope';
import { addOrder, affectedCustomerIds, buildEvents, emptyCustomer, emptySummary, ErpCustomerState, ErpOrderState, lastStepTouching, planBatch, summariesToRebuild } from './erp-batch';
import { ATTRIBUTE_MAX, ErpChange, ErpOrderChange, IDENTIFIER_MAX, mapErpChange, parseCurrencyAliases } from './erp-change.mapper';
import { decodeErpMessage } from './erp-connector.service';

// Recorded from scripts/debezium.mjs (Debezium 3.5.0, pgoutput, JSON converter without schemas):
// customer insert, customer update, order insert, order delete, and the delete's tombstone.
const recorded: { topic: string; key: string; value: string | null }[] = fs
  .readFileSync(path.join(__dirname, 'fixtures', 'debezium-3.5-pgoutput.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const message = (i: number) => ({ value: recorded[i].value === null ? null : Buffer.from(recorded[i].value!) });
const options = { source: 'erp', currencyAliases: {} };

function mapped(i: number): ErpChange {
  const result = decodeErpMessage(message(i), options);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.value.change;
}

describe('ERP change events (recorded real Debezium envelopes)', () => {
  it('should map a customer insert to identifiers and attributes, with the date of birth from epoch days', () => {
    expect(mapped(0)).toEqual({
      table: 'customers',
      customerId: '1',
      lsn: 40019160,
      occurredAt: '2026-11-22T21:29:02.343Z',
      deleted: false,
      identifiers: [
        { type: 'customerNumber', value: 'PROBE-1' },
        { type: 'email', value: 'probe.one@example.invalid' },
        { type: 'phone', value: '+46 70 123 45 67' },
      ],
      attributes: { givenName: 'Probe', familyName: 'One', city: 'Nowhere', country: 'SE', birthDate: '1980-02-03' },
    });
  });

  it('should read the order total from Debezium decimal strings and the delete from the before image', () => {
    expect(mapped(2)).toMatchObject({ table: 'orders', orderId: '1', customerId: '1', totalCents: 1990, currency: 'EUR', category: 'shoes', created: true, deleted: false });
    expect(mapped(3)).toMatchObject({ table: 'orders', orderId: '1', deleted: true, created: false });
  });

  it('should treat a tombstone as nothing to do rather than as a bad message', () => {
    expect(recorded[4].value).toBeNull();
    expect(mapped(4)).toEqual({ table: 'ignored', why: 'tombstone' });
  });

  it('should accept the envelope wrapped in schema/payload when schemas are enabled', () => {
    const wrapped = { schema: { type: 'struct' }, payload: JSON.parse(recorded[0].value!) };
    expect(decodeDebeziumMessage({ value: Buffer.from(JSON.stringify(wrapped)) }).ok).toBe(true);
  });

  it('should refuse malformed envelopes and non-ISO currencies with a reason', () => {
    const bad = decodeDebeziumMessage({ value: Buffer.from('{"op":"x","source":{}}') });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors).toEqual(expect.arrayContaining(['op must be one of c, u, d, r, t', 'source.lsn must be a non-negative integer']));
    const order = JSON.parse(recorded[2].value!);
    order.after.currency = 'EURO';
    const refused = decodeErpMessage({ value: Buffer.from(JSON.stringify(order)) }, options);
    expect(refused).toEqual({ ok: false, errors: ['orders.currency "EURO" is not an ISO 4217 code (map it with ERP_CURRENCY_ALIASES)'] });
    const fixed = decodeErpMessage({ value: Buffer.from(JSON.stringify(order)) }, { ...options, currencyAliases: parseCurrencyAliases('euro:eur') });
    expect(fixed.ok && fixed.value.change).toMatchObject({ currency: 'EUR' });
  });

  it('should refuse an over-long field exactly where the contract would', () => {
    const base = JSON.parse(recorded[0].value!);
    for (const [field, column] of [['givenName', 'first_name'], ['familyName', 'last_name'], ['street', 'street'], ['postcode', 'postcode'], ['city', 'city'], ['country', 'country']] as const) {
      const limit = ATTRIBUTE_MAX[field];
      for (const length of [limit, limit + 1]) {
        const envelope = { ...base, after: { ...base.after, [column]: 'x'.repeat(length) } };
        const ours = decodeErpMessage({ value: Buffer.from(JSON.stringify(envelope)) }, options).ok;
        const contract = parseCustomerEvent({ schemaVersion: 1, eventId: '00000000-0000-5000-8000-000000000000', source: 'erp', sourceRecordId: '1', recordVersion: 1, kind: 'customer.upserted', occurredAt: '2026-01-01T00:00:00.000Z', identifiers: [{ type: 'email', value: 'a@b.invalid' }], attributes: { [field]: 'x'.repeat(length) } }).ok;
        expect([field, length, ours]).toEqual([field, length, contract]);
      }
    }
    const email = { ...base, after: { ...base.after, email: `${'x'.repeat(IDENTIFIER_MAX - 12)}@b.invalid.x` } };
    expect(decodeErpMessage({ value: Buffer.from(JSON.stringify(email)) }, options).ok).toBe(true);
    email.after.email += 'x';
    expect(decodeErpMessage({ value: Buffer.from(JSON.stringify(email)) }, options).ok).toBe(false);
  });

  it('should serialize a decoded message back to the original envelope (what a replay re-sends)', () => {
    const decoded = decodeErpMessage(message(1), options);
    expect(decoded.ok && JSON.parse(JSON.stringify(decoded.value))).toEqual(JSON.parse(recorded[1].value!));
  });
});

describe('ERP batch planning', () => {
  let lsn = 60_000_000;
  const order = (orderId: string, customerId: string, fields: Partial<ErpOrderChange> = {}): ErpOrderChange => ({
    table: 'orders',
    orderId,
    orderNumber: `SO-${orderId}`,
    customerId,
    lsn: ++lsn,
    occurredAt: '2026-03-01T00:00:00.000Z',
    deleted: false,
    created: true,
    placedAt: '2026-01-01T00:00:00.000Z',
    totalCents: 1000,
    currency: 'EUR',
    category: 'shoes',
    ...fields,
  });
  /** The personalization of the last event a batch says about customer 1. */
  const personalizationAfter = (changes: ErpChange[], customers: Map<string, ErpCustomerState>, orders: Map<string, ErpOrderState>) => {
    const plan = planBatch(changes, customers, orders);
    expect(summariesToRebuild(plan)).toEqual([]);
    return buildEvents('erp', plan).at(-1)?.personalization;
  };

  it('should emit order.placed and then one customer.upserted with growing versions and valid contract events', () => {
    const changes = [0, 2, 1].map(mapped);
    const orders = new Map<string, ErpOrderState>();
    const customers = new Map<string, ErpCustomerState>();
    expect(affectedCustomerIds(changes, orders)).toEqual(['1']);
    const plan = planBatch(changes, customers, orders);
    const events = buildEvents('erp', plan);
    expect(events.map((e) => [e.kind, e.recordVersion])).toEqual([
      ['order.placed', 1],
      ['customer.upserted', 2],
    ]);
    expect(events[1].attributes.city).toBe('Elsewhere');
    expect(events[1].personalization).toEqual({ orderCount: 1, lifetimeValue: 19.9, currency: 'EUR', favouriteCategory: 'shoes', lastOrderAt: '2026-11-22T21:29:02.476Z' });
    for (const event of events) expect(parseCustomerEvent(JSON.parse(JSON.stringify(event))).ok).toBe(true);
  });

  it('should change nothing when the same changes are applied again (a redelivery)', () => {
    const changes = [0, 2, 1, 3].map(mapped);
    const orders = new Map<string, ErpOrderState>();
    const customers = new Map<string, ErpCustomerState>();
    const plan = planBatch(changes, customers, orders);
    // The only order was deleted, so its summary is rebuilt from the stored orders (none live).
    expect(summariesToRebuild(plan)).toEqual(['1']);
    customers.get('1')!.summary = emptySummary();
    expect(buildEvents('erp', plan).at(-1)?.personalization).toEqual({ orderCount: 0 });
    const summary = structuredClone(customers.get('1')!.summary);
    const again = planBatch(changes, customers, orders);
    expect(buildEvents('erp', again)).toEqual([]);
    expect(again.changedOrders).toEqual([]);
    expect(customers.get('1')!.summary).toEqual(summary);
  });

  it('should hold back an order read before its customer and announce it when the customer arrives', () => {
    const customers = new Map<string, ErpCustomerState>();
    const orders = new Map<string, ErpOrderState>();
    const first = planBatch([mapped(2)], customers, orders);
    expect(buildEvents('erp', first)).toEqual([]);
    expect(first.changedOrders[0].announced).toBe(false);
    // The unknown customer's row is written anyway: it carries the order in its summary.
    expect([...first.changedCustomers]).toEqual(['1']);
    const unannounced = new Map([['1', first.changedOrders]]);
    const second = planBatch([mapped(0)], customers, orders, unannounced);
    const events = buildEvents('erp', second);
    expect(events.map((e) => e.kind)).toEqual(['order.placed', 'customer.upserted']);
    expect(events[1].personalization).toMatchObject({ orderCount: 1, lifetimeValue: 19.9 });
    expect(second.changedOrders[0].announced).toBe(true);
  });

  it('should say customer.deleted with only the customer number when the customer row is deleted', () => {
    const customers = new Map<string, ErpCustomerState>();
    const orders = new Map<string, ErpOrderState>();
    buildEvents('erp', planBatch([mapped(0)], customers, orders));
    const deletion = JSON.parse(recorded[0].value!);
    deletion.op = 'd';
    deletion.before = deletion.after;
    deletion.after = null;
    deletion.source.lsn = 50000000;
    const decoded = mapErpChange({ kind: 'change', envelope: deletion }, options);
    if (!decoded.ok) throw new Error('refused');
    const events = buildEvents('erp', planBatch([decoded.value], customers, orders));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'customer.deleted', recordVersion: 2, identifiers: [{ type: 'customerNumber', value: 'PROBE-1' }], attributes: {} });
    expect(events[0].personalization).toBeUndefined();
  });

  it('should keep the order figures change by change: count, latest order, value in its currency, favourite category', () => {
    const customers = new Map<string, ErpCustomerState>();
    const orders = new Map<string, ErpOrderState>();
    planBatch([mapped(0)], customers, orders);
    expect(
      personalizationAfter(
        [
          order('10', '1', { placedAt: '2026-01-01T00:00:00.000Z', totalCents: 1000, currency: 'SEK', category: 'books' }),
          order('11', '1', { placedAt: '2026-02-01T00:00:00.000Z', totalCents: 2500, currency: 'EUR', category: 'shoes' }),
          order('12', '1', { placedAt: '2026-01-15T00:00:00.000Z', totalCents: 500, currency: 'EUR', category: 'books' }),
        ],
        customers,
        orders,
      ),
    ).toEqual({ orderCount: 3, lastOrderAt: '2026-02-01T00:00:00.000Z', currency: 'EUR', lifetimeValue: 30, favouriteCategory: 'books' });
    // An older order deleted: taken out without looking anything up.
    expect(personalizationAfter([order('12', '1', { placedAt: '2026-01-15T00:00:00.000Z', totalCents: 500, category: 'books', deleted: true, created: false })], customers, orders)).toEqual({
      orderCount: 2,
      lastOrderAt: '2026-02-01T00:00:00.000Z',
      currency: 'EUR',
      lifetimeValue: 25,
      favouriteCategory: 'books', // a tie (1 book, 1 shoes) goes to the first in code-point order
    });
    // The latest order updated in place (a higher total, a later date) stays the latest.
    expect(personalizationAfter([order('11', '1', { placedAt: '2026-02-02T00:00:00.000Z', totalCents: 4000, created: false })], customers, orders)).toMatchObject({
      orderCount: 2,
      lastOrderAt: '2026-02-02T00:00:00.000Z',
      lifetimeValue: 40,
    });
  });

  it('should ask for a rebuild from the stored orders when the latest order goes away, and move an order between customers', () => {
    const customers = new Map<string, ErpCustomerState>();
    const orders = new Map<string, ErpOrderState>();
    planBatch([mapped(0)], customers, orders);
    planBatch([order('20', '1', { placedAt: '2026-01-01T00:00:00.000Z' }), order('21', '1', { placedAt: '2026-02-01T00:00:00.000Z' })], customers, orders);
    const removed = planBatch([order('21', '1', { placedAt: '2026-02-01T00:00:00.000Z', deleted: true, created: false })], customers, orders);
    expect(summariesToRebuild(removed)).toEqual(['1']);
    expect(() => buildEvents('erp', removed)).toThrow('rebuilt first');

    const other = emptyCustomer('2');
    customers.set('2', other);
    const before = customers.get('1')!;
    before.summary = emptySummary();
    addOrder(before, orders.get('20')!);
    const moved = planBatch([order('20', '2', { placedAt: '2026-01-01T00:00:00.000Z', created: false })], customers, orders);
    // The only order left the customer: its latest is gone, so a rebuild; the new owner counts it.
    expect(summariesToRebuild(moved)).toEqual(['1']);
    expect(other.summary).toMatchObject({ count: 1, last: { orderId: '20' } });
    expect([...moved.changedCustomers].sort()).toEqual(['1', '2']);
  });

  it("should say a customer is final only after the last step that changes it or any of its orders, wherever the orders move", () => {
    const stored = new Map<string, ErpOrderState>([['30', { ...order('30', '7'), announced: true, occurredAt: '2026-03-01T00:00:00.000Z' }]]);
    // Steps of two changes: 0 = [30 moves 7 -> 8, 31 for 9], 1 = [32 for 9, 31 moves 9 -> 8], 2 = [30 moves 8 -> 6].
    const changes = [order('30', '8', { created: false }), order('31', '9'), order('32', '9'), order('31', '8', { created: false }), order('30', '6', { created: false })];
    const last = lastStepTouching(changes, 2, stored);
    // 7 owned order 30 before this batch: it can still change when 30 moves again in step 2; 9 is done after step 1.
    expect(Object.fromEntries([...last].sort())).toEqual({ '6': 2, '7': 2, '8': 2, '9': 1 });
    expect(Object.fromEntries([...lastStepTouching([order('40', '1'), order('41', '2'), order('42', '2')], 2, new Map())].sort())).toEqual({ '1': 0, '2': 1 });
  });
});
