import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { acceptsCustomerEvent } from './accepts';
import { CustomerEventV1 } from './customer-event.v1';

/** What class-validator (the contract's own rules) says. */
function contractAccepts(input: unknown): boolean {
  return validateSync(plainToInstance(CustomerEventV1, input as object), { whitelist: true, forbidNonWhitelisted: true }).length === 0;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const valid = (): Record<string, unknown> => ({
  schemaVersion: 1,
  eventId: '5f0b6a8e-3c1d-5e2f-9a4b-7c8d9e0f1a2b',
  source: 'crm',
  sourceRecordId: 'C-1',
  recordVersion: 3,
  kind: 'customer.upserted',
  occurredAt: '2026-02-28T10:11:12.345Z',
  identifiers: [{ type: 'email', value: 'someone@example.invalid', verified: true }, { type: 'phone', value: '+44 20 7946 0000' }],
  attributes: { givenName: 'Ann', familyName: 'Example', birthDate: '1980-01-01', city: 'Town' },
  consents: [{ channel: 'email', purpose: 'newsletter', status: 'granted' }],
  order: { orderId: 'O-1', placedAt: '2026-01-01T00:00:00.000Z', total: 10.5, currency: 'EUR', lines: [{ sku: 'S', category: 'shoes', quantity: 1, unitPrice: 10.5 }] },
  personalization: { lastOrderAt: '2026-01-01T00:00:00.000Z', orderCount: 1, lifetimeValue: 10.5, currency: 'EUR', favouriteCategory: 'shoes' },
});

// Values a field may be mutated to: the odd ones out that break a contract.
const ODD: unknown[] = [null, undefined, '', ' ', 'x'.repeat(401), 'x'.repeat(41), -1, 0, 1, 1.5, 2 ** 53, NaN, true, 'true', [], {}, ['a'], { a: 1 },
  '2026-02-30T00:00:00.000Z', '2025-02-29T00:00:00Z', '2024-02-29T23:59:59Z', '2026-01-01', '2026-01-01T24:00:00Z', '2026-1-1T00:00:00Z', 'EUR', 'eur',
  'customer.deleted', 'nope', 'email', 'fax', 'withdrawn', 'maybe', '\uFE0F', '😀'.repeat(150), 'a\uFE0F'.repeat(200), 'CRM', 'a'.repeat(40), 'a'.repeat(39),
  '00000000-0000-0000-0000-000000000000', '5f0b6a8e-3c1d-0e2f-9a4b-7c8d9e0f1a2b', '5F0B6A8E-3C1D-5E2F-9A4B-7C8D9E0F1A2B'];

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys = Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string, unknown>)[k], [...prefix, k]))];
}

function mutate(event: Record<string, unknown>, path: string[], to: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    at = at[key] as Record<string, unknown>;
    // An earlier mutation replaced this branch: nothing left to mutate here.
    if (typeof at !== 'object' || at === null) return copy;
  }
  const last = path[path.length - 1];
  if (to === undefined) delete at[last];
  else at[last] = to;
  return copy;
}

describe('acceptsCustomerEvent', () => {
  it('should accept the valid events connectors send', () => {
    const e = valid();
    expect(acceptsCustomerEvent(e)).toBe(true);
    const { consents, order, personalization, ...plain } = e;
    expect(acceptsCustomerEvent(plain)).toBe(true);
    expect([consents, order, personalization].every(Boolean)).toBe(true);
  });

  it('should never accept an event the contract refuses, over thousands of mutated events', () => {
    const next = rng(11);
    const base = valid();
    const all = paths(base).filter((p) => p.length > 0);
    let refused = 0;
    let checked = 0;
    for (const path of all) {
      for (const to of ODD) {
        const mutated = mutate(base, path, to);
        const fast = acceptsCustomerEvent(mutated);
        const contract = contractAccepts(mutated);
        if (fast) expect({ path: path.join('.'), to, contract }).toEqual({ path: path.join('.'), to, contract: true });
        if (!contract) refused++;
        checked++;
      }
      // An unknown field anywhere is refused by both.
      const extra = mutate(base, [...path.slice(0, -1), 'unexpected'], 1);
      expect(acceptsCustomerEvent(extra)).toBe(contractAccepts(extra));
    }
    // Pairs of random mutations.
    for (let i = 0; i < 3000; i++) {
      let m = base;
      for (let k = 0; k < 2; k++) m = mutate(m, all[Math.floor(next() * all.length)], ODD[Math.floor(next() * ODD.length)]);
      if (acceptsCustomerEvent(m)) expect(contractAccepts(m)).toBe(true);
      checked++;
    }
    expect(refused).toBeGreaterThan(500);
    expect(checked).toBeGreaterThan(4000);
  });
});
