import { resolveOffline, type RecordChange } from '../profile-resolver';
import { hubModel } from '../record-model';
import { Population } from './population';

// Fictitious people, some sharing a mailbox or a name, so that profiles have several records.
function person(i: number, version = 1): RecordChange {
  const who = i % 1700;
  return {
    source: ['crm', 'erp', 'mkt'][i % 3],
    sourceRecordId: `g${i}`,
    version,
    eventId: `g${i}-${version}`,
    kind: 'customer.upserted',
    deleted: false,
    occurredAt: new Date(1_700_000_000_000 + i * 1000 + version).toISOString(),
    attributes: { givenName: `Given${who % 211}`, familyName: `Family${who}`, birthDate: `19${50 + (who % 40)}-0${1 + (who % 9)}-1${who % 10}`, city: `Town${who % 37}` },
    identifiers: [{ type: 'email', value: `person${who}@example.invalid` }],
    consents: [],
  };
}

/** Everything a slot holds that the planner and survivorship read, and the profiles as lists of record keys. */
function contents(pop: Population): { slots: unknown[]; profiles: string[][] } {
  const slots = [];
  const groups = new Map<string, string[]>();
  for (let s = 0; s < pop.slots; s++) {
    slots.push([pop.sortKeyOf(s), pop.version(s), pop.occurredAt(s), pop.isAlive(s), [...pop.keysOf(s)], pop.codes.map((c) => c[s]), pop.survivorInputs(s)]);
    if (pop.isAlive(s)) groups.set(pop.profileOf[s] as string, [...(groups.get(pop.profileOf[s] as string) ?? []), pop.sortKeyOf(s)]);
  }
  return { slots, profiles: [...groups.values()].map((g) => g.sort()).sort((a, b) => a[0].localeCompare(b[0])) };
}

describe('Population growth', () => {
  it('should hold the same records, keys and profiles when grown from empty through its columns mapped ahead as when sized for them at once', () => {
    // 6,000 records and new versions of 500 of them, in 300-record batches: the columns double at 1,024,
    // 2,048 and 4,096 slots, the key arena several times, each time into arrays mapped while filling.
    const changes = Array.from({ length: 6000 }, (_, i) => person(i));
    for (let i = 0; i < 500; i++) changes.push({ ...person(i * 7, 2), attributes: { ...person(i * 7).attributes, city: `Moved${i}` } });
    const batches = Array.from({ length: Math.ceil(changes.length / 300) }, (_, b) => changes.slice(b * 300, b * 300 + 300));
    const grown = resolveOffline(batches);
    const sized = resolveOffline(batches, hubModel(), undefined, { population: new Population(hubModel(), 10_000) });
    expect(grown.slots).toBeGreaterThan(4096);
    expect(grown.liveRecords).toBe(6000);
    const expected = contents(sized);
    expect(expected.profiles.length).toBeLessThan(6000);
    expect(contents(grown)).toEqual(expected);
  });
});
