import { hubModel } from '../record-model';
import { survivorship, type SurvivorshipRecord } from '../survivorship';
import { Population, type RecordState } from './population';
import { SurvivorColumns } from './survivor-columns';

// Survivorship reads the members' stored state from what the population holds instead of reading their
// source_records rows back: it must see exactly what that read gave (the row's JSON, its instant as the
// driver parses it, its identifiers normalized again). Fictitious, generated records.

/** What the plan writer used to make of a member's source_records row (see survivorshipInputs). */
function fromRow(pop: Population, state: RecordState): SurvivorshipRecord {
  const row = JSON.parse(JSON.stringify({ attributes: state.attributes, identifiers: state.identifiers })) as Pick<RecordState, 'attributes' | 'identifiers'>;
  const stored = { source: state.source, sourceRecordId: state.sourceRecordId, occurredAt: new Date(state.occurredAt).toISOString(), attributes: row.attributes ?? {} };
  return { stored, sortKey: `${state.source}\u0000${state.sourceRecordId}`, identifiers: pop.normalizer.identifiers({ source: state.source, identifiers: row.identifiers }) };
}

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: Record<string, string[]> = {
  givenName: ['Anna', ' Anna', 'Björn ', '', '   ', 'Zoë'],
  familyName: ['Quellberg', 'Dunmoreton ', '\tMarsh', ''],
  fullName: ['Anna Quellberg', '  ', 'Carl D. Dunmoreton'],
  birthDate: ['1985-03-12', '12/03/1985', ' 1970-06-30 '],
  gender: ['f', 'm', ' '],
  locale: ['de-DE', 'en-GB', ''],
  street: ['Mill Lane', ' Harbour Row ', ''],
  houseNumber: ['12', '12a', ' 7'],
  postcode: ['BS1 5TR', 'AB1 2CD', ''],
  city: ['Ashvale', 'Brackwater', ' '],
  region: ['North', ''],
  country: ['GB', 'DE'],
  // Not read by survivorship.
  loyaltyTier: ['gold'],
};

function randomState(next: () => number, n: number, sources: string[]): RecordState {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const attributes: Record<string, string | undefined> = {};
  for (const [field, values] of Object.entries(VALUES)) if (next() < 0.6) attributes[field] = pick(values);
  // A value of another type, as an old row might hold (on a field the matcher does not read): survivorship skips it.
  if (next() < 0.1) (attributes as Record<string, unknown>).locale = 42;
  const identifiers: Array<{ type: string; value: string; verified?: boolean }> = [];
  const count = Math.floor(next() * 5);
  for (let i = 0; i < count; i++) {
    const type = pick(['email', 'phone', 'externalId', 'loyaltyId']);
    const value = type === 'email' ? pick(['anna.q@example.invalid', 'ANNA.Q@example.invalid ', 'carl.d@example.invalid']) : type === 'phone' ? pick(['+44 7700 900123', '07700900123', '+49 30 1234567']) : pick(['A-1', 'b 2']);
    identifiers.push(next() < 0.3 ? { type, value, verified: next() < 0.5 } : { type, value });
  }
  const ms = 1_700_000_000_000 + Math.floor(next() * 1e10);
  const iso = new Date(ms).toISOString();
  // Instants with 0, 1, 2 or 3 fractional digits.
  const occurredAt = pick([iso, iso.replace(/\.\d+Z$/, 'Z'), iso.replace(/(\.\d)\d+Z$/, '$1Z'), iso.replace(/(\.\d\d)\dZ$/, '$1Z')]);
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    source: pick(sources),
    sourceRecordId: `r${n}`,
    version: 1,
    occurredAt,
    deleted: false,
    attributes,
    identifiers,
    profileId: null,
    hasConsents: false,
  };
}

describe('survivorship inputs held by the population', () => {
  it('should give survivorship exactly what the stored rows gave when clusters mix records of any shape', () => {
    const next = random(7);
    const pop = new Population(hubModel());
    const states = Array.from({ length: 400 }, (_, n) => randomState(next, n, ['crm', 'erp', 'mkt']));
    const slots = states.map((s) => pop.stage(s));
    pop.commitStaged();
    for (let i = 0; i < states.length; i++) {
      expect(pop.survivorInputs(slots[i])).toEqual(onlyEmailsAndPhones(fromRow(pop, states[i])));
    }
    // Whole golden records of clusters of 1 to 4 members.
    for (let i = 0; i + 4 <= states.length; i += 4) {
      const members = Array.from({ length: 1 + (i % 4) }, (_, k) => i + k);
      const held = survivorship(members.map((m) => pop.survivorInputs(slots[m]) as SurvivorshipRecord));
      const read = survivorship(members.map((m) => fromRow(pop, states[m])));
      expect(held).toEqual(read);
    }
  });

  it('should hold what rows read at load give (instants from the database)', () => {
    const pop = new Population(hubModel());
    const state = randomState(random(3), 1, ['crm']);
    const loaded = { ...state, occurredAt: new Date(Date.parse(state.occurredAt)).toISOString() };
    const slot = pop.stage(loaded);
    pop.commitStaged();
    expect(survivorship([pop.survivorInputs(slot) as SurvivorshipRecord])).toEqual(survivorship([fromRow(pop, state)]));
  });

  it('should leave to a database read a record whose instant the database may give back differently, or with too many identifiers', () => {
    const pop = new Population(hubModel());
    const base = randomState(random(5), 1, ['crm']);
    const micro = pop.stage({ ...base, occurredAt: '2026-02-28T10:11:12.3456789Z' });
    const many = pop.stage({ ...base, sourceRecordId: 'many', identifiers: Array.from({ length: 32 }, (_, i) => ({ type: 'email', value: `p${i}@example.invalid` })) });
    const exact = pop.stage({ ...base, sourceRecordId: 'exact', occurredAt: '2026-02-28T10:11:12.345Z' });
    const gone = pop.stage({ ...base, sourceRecordId: 'gone', deleted: true });
    pop.commitStaged();
    expect(pop.survivorInputs(micro)).toBeUndefined();
    expect(pop.survivorInputs(many)).toBeUndefined();
    expect(pop.survivorInputs(gone)).toBeUndefined();
    expect(pop.survivorInputs(exact)?.stored.occurredAt).toBe('2026-02-28T10:11:12.345Z');
  });

  it("should hold a kept version's attributes once committed, and the version before when it is rolled back", () => {
    const pop = new Population(hubModel());
    const v1: RecordState = { ...randomState(random(9), 1, ['crm']), attributes: { givenName: 'Anna', locale: 'en-GB' }, occurredAt: '2026-01-01T00:00:00.000Z' };
    const slot = pop.stage(v1);
    pop.commitStaged();
    pop.keep(slot, { ...v1, version: 2, attributes: { givenName: 'Anna', locale: 'de-DE' }, occurredAt: '2026-01-02T00:00:00Z' });
    pop.rollback();
    expect(pop.survivorInputs(slot)?.stored).toMatchObject({ attributes: { givenName: 'Anna', locale: 'en-GB' }, occurredAt: '2026-01-01T00:00:00.000Z' });
    pop.keep(slot, { ...v1, version: 2, attributes: { givenName: 'Anna', locale: 'de-DE' }, occurredAt: '2026-01-02T00:00:00Z' });
    // Still the stored version until the plan is applied.
    expect(pop.survivorInputs(slot)?.stored.attributes.locale).toBe('en-GB');
    pop.commitStaged();
    expect(pop.survivorInputs(slot)?.stored).toMatchObject({ attributes: { givenName: 'Anna', locale: 'de-DE' }, occurredAt: '2026-01-02T00:00:00.000Z' });
  });

  it('should hold nothing for a replaced version (its new slot holds the new one)', () => {
    const pop = new Population(hubModel());
    const v1: RecordState = { ...randomState(random(11), 1, ['crm']), attributes: { givenName: 'Anna' } };
    const old = pop.stage(v1);
    pop.commitStaged();
    const now = pop.stage({ ...v1, version: 2, attributes: { givenName: 'Anya' } });
    pop.commitStaged();
    expect(pop.survivorInputs(old)).toBeUndefined();
    expect(pop.survivorInputs(now)?.stored.attributes).toEqual({ givenName: 'Anya' });
  });
});

/** Survivorship reads only emails and phones of a member's identifiers; the population gives only those. */
function onlyEmailsAndPhones(r: SurvivorshipRecord): SurvivorshipRecord {
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.stored.attributes)) {
    if (typeof v === 'string' && v.trim() && k !== 'loyaltyTier') attributes[k] = v.trim();
  }
  return { ...r, stored: { ...r.stored, attributes }, identifiers: r.identifiers.filter((i) => i.type === 'email' || i.type === 'phone') };
}

describe('SurvivorColumns arena', () => {
  /** What survivorship reads of a state's attributes: trimmed strings, blanks and other types left out. */
  function expected(attributes: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(attributes)) if (typeof v === 'string' && v.trim() && k !== 'loyaltyTier') out[k] = v.trim();
    return out;
  }

  it('should give back every slot its values when they span many small chunks and kept versions grow or shrink', () => {
    const next = random(21);
    const words = ['Anna', ' Zoë ', 'Łódź', 'Straße', '東京', 'a\u{1F600}b', '', '  ', 'Mill Lane 12', 'x'.repeat(40)];
    const make = (): Record<string, unknown> => {
      const a: Record<string, unknown> = {};
      for (const f of [...Object.keys(VALUES), 'street']) if (next() < 0.7) a[f] = words[Math.floor(next() * words.length)];
      if (next() < 0.1) a.city = 7;
      return a;
    };
    // 64-byte chunks: most slots' values start a new chunk or end one.
    const columns = new SurvivorColumns(300, 6);
    const now: Array<Record<string, unknown>> = [];
    for (let s = 0; s < 300; s++) {
      now[s] = make();
      columns.set(s, now[s], '2026-01-01T00:00:00.000Z', false);
    }
    // New versions of some slots in place (kept versions), longer or shorter than what they replace.
    for (let i = 0; i < 600; i++) {
      const s = Math.floor(next() * 300);
      now[s] = make();
      columns.set(s, now[s], '2026-01-02T00:00:00Z', false);
    }
    for (let s = 0; s < 300; s++) {
      // Values and eleven separators.
      const fits = Buffer.byteLength(Object.values(expected(now[s])).join('')) + 11 <= 64;
      if (!fits) expect(columns.isHeld(s)).toBe(false);
      else expect(columns.attributes(s)).toEqual(expected(now[s]));
    }
    expect(columns.arenaBytes).toBeGreaterThan(64 * 20);
  });

  it('should leave to a database read a slot whose values hold the separator', () => {
    const columns = new SurvivorColumns(2);
    columns.set(0, { givenName: 'An\u0000na' }, '2026-01-01T00:00:00.000Z', false);
    columns.set(1, { givenName: 'Anna' }, '2026-01-01T00:00:00.000Z', false);
    expect(columns.isHeld(0)).toBe(false);
    expect(columns.attributes(1)).toEqual({ givenName: 'Anna' });
  });
});
