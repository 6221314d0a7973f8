import fs from 'node:fs';
import path from 'node:path';
import { parseCustomerEvent } from '@tandem/contracts';
import { decodeDebeziumMessage } from './debezium-envelope';
import { affectedCustomerIds, buildEvents, ErpCustomerState, ErpOrderState, OrderAggregates, planBatch } from './erp-batch';
import { ATTRIBUTE_MAX, ErpChange, IDENTIFIER_MAX, mapErpChange, parseCurrencyAliases } from './erp-change.mapper';
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
  const noAggregates = new Map<string, OrderAggregates>();
  const agg = (orderCount: number): Map<string, OrderAggregates> =>
    new Map([['1', { orderCount, lastOrderAt: '2026-11-22T21:29:02.476Z', currency: 'EUR', lifetimeValueCents: 1990 * orderCount, favouriteCategory: 'shoes' }]]);

  it('should emit order.placed and then one customer.upserted with growing versions and valid contract events', () => {
    const changes = [0, 2, 1].map(mapped);
    const orders = new Map<string, ErpOrderState>();
    const customers = new Map<string, ErpCustomerState>();
    expect(affectedCustomerIds(changes, orders)).toEqual(['1']);
    const plan = planBatch(changes, customers, orders);
    const events = buildEvents('erp', plan, agg(1));
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
    buildEvents('erp', planBatch(changes, customers, orders), agg(0));
    const again = planBatch(changes, customers, orders);
    expect(buildEvents('erp', again, agg(0))).toEqual([]);
    expect(again.changedOrders).toEqual([]);
  });

  it('should hold back an order read before its customer and announce it when the customer arrives', () => {
    const customers = new Map<string, ErpCustomerState>();
    const orders = new Map<string, ErpOrderState>();
    const first = planBatch([mapped(2)], customers, orders);
    expect(buildEvents('erp', first, agg(1))).toEqual([]);
    expect(first.changedOrders[0].announced).toBe(false);
    const unannounced = new Map([['1', first.changedOrders]]);
    const second = planBatch([mapped(0)], customers, orders, unannounced);
    const events = buildEvents('erp', second, agg(1));
    expect(events.map((e) => e.kind)).toEqual(['order.placed', 'customer.upserted']);
    expect(second.changedOrders[0].announced).toBe(true);
  });

  it('should say customer.deleted with only the customer number when the customer row is deleted', () => {
    const customers = new Map<string, ErpCustomerState>();
    const orders = new Map<string, ErpOrderState>();
    buildEvents('erp', planBatch([mapped(0)], customers, orders), noAggregates);
    const deletion = JSON.parse(recorded[0].value!);
    deletion.op = 'd';
    deletion.before = deletion.after;
    deletion.after = null;
    deletion.source.lsn = 50000000;
    const decoded = mapErpChange({ kind: 'change', envelope: deletion }, options);
    if (!decoded.ok) throw new Error('refused');
    const events = buildEvents('erp', planBatch([decoded.value], customers, orders), noAggregates);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'customer.deleted', recordVersion: 2, identifiers: [{ type: 'customerNumber', value: 'PROBE-1' }], attributes: {} });
    expect(events[0].personalization).toBeUndefined();
  });
});
