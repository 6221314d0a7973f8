import { planRequest, resolveOffline, stageChanges, type RecordChange } from '../profile-resolver';
import { hubModel } from '../record-model';
import { addPair } from './loader';
import { applyPlan, assignStaged, planResolution } from './planner';
import { Population } from './population';

// Fictitious people.
const base: Array<[string, string, Record<string, string>, string?]> = [
  ['crm', 'r1', { givenName: 'Anna', familyName: 'Quellberg', birthDate: '1985-03-12', city: 'Ashvale' }, 'anna.q@example.invalid'],
  ['erp', 'r2', { givenName: 'Anna', familyName: 'Qeullberg', birthDate: '12/03/1985', city: 'Ashvale' }, 'ANNA.Q@example.invalid'],
  ['mkt', 'r3', { givenName: 'Anna' }, 'anna.q@example.invalid'],
  ['crm', 'r4', { givenName: 'Carl', familyName: 'Dunmoreton', birthDate: '1970-06-30', postcode: 'BS1 5TR' }, 'family@example.invalid'],
  ['erp', 'r5', { givenName: 'Freya', familyName: 'Dunmoreton', birthDate: '1998-01-17', postcode: 'BS1 5TR' }, 'family@example.invalid'],
  ['erp', 'r6', { givenName: 'Carl', familyName: 'Dunmoreton', birthDate: '30/06/1970', postcode: 'BS1 5TR' }],
];

function change(source: string, id: string, attributes: Record<string, string>, email?: string, version = 1, deleted = false): RecordChange {
  return {
    source,
    sourceRecordId: id,
    version,
    eventId: `${source}-${id}-${version}`,
    kind: deleted ? 'customer.deleted' : 'customer.upserted',
    deleted,
    occurredAt: new Date(1_700_000_000_000 + version * 1000).toISOString(),
    attributes,
    identifiers: email ? [{ type: 'email', value: email }] : [],
    consents: [],
  };
}

const records = base.map(([s, id, a, e]) => change(s, id, a, e));

/** The profiles as lists of record ids, sorted. */
function clusters(pop: Population): string[][] {
  const groups = new Map<string, string[]>();
  for (const s of pop.liveSlots()) {
    const key = pop.profileOf[s] ?? `none:${s}`;
    groups.set(key, [...(groups.get(key) ?? []), pop.sortKeyOf(s).split('\u0000')[1]]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function shuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Resolves one batch on an existing population and applies it, as a committed transaction would. */
function resolveBatch(pop: Population, changes: RecordChange[]) {
  const request = planRequest(stageChanges(pop, changes));
  const plan = planResolution(pop, request);
  assignStaged(pop, plan, request.staged);
  applyPlan(pop, plan, plan.review.map((p) => ({ a: pop.idOf(p.a), b: pop.idOf(p.b), score: p.score })));
  return plan;
}

describe('streaming resolution over the population', () => {
  it('should group one person across sources and keep a household member apart, with the pair up for review', () => {
    const pop = new Population(hubModel());
    const plan = resolveBatch(pop, records);
    expect(clusters(pop)).toEqual([['r1', 'r2', 'r3'], ['r4', 'r6'], ['r5']]);
    const reviewed = plan.review.map((p) => [p.a, p.b].map((s) => pop.sortKeyOf(s).split('\u0000')[1]).sort());
    expect(reviewed).toContainEqual(['r4', 'r5']);
    expect(plan.links.length).toBeGreaterThanOrEqual(3);
  });

  it('should not let a record without a given name join two people the guardrail holds apart', () => {
    // h2 (no given name, an old address) is Maren's record by birth date and town, and carries the
    // household's email, which Tobias uses too; Maren and Tobias share the household's address but not a
    // given name or a birth date: the guardrail's household signature. h2 links to either of them;
    // linking it to both would make one profile of two people.
    const household = [
      change('crm', 'h1', { givenName: 'Maren', familyName: 'Oakhollow', birthDate: '1979-06-19', street: 'Farm Terrace', houseNumber: '26', postcode: 'WV2 3PU', city: 'Eldmouth' }),
      change('erp', 'h2', { familyName: 'Oakhollow', birthDate: '1979-06-19', street: 'Oak Road', houseNumber: '12', postcode: 'WV1 1AA', city: 'Eldmouth' }, 'oakhollows@example.invalid'),
      change('mkt', 'h3', { givenName: 'Tobias', familyName: 'Oakhollow', birthDate: '1980-06-08', street: 'Farm Terrace', houseNumber: '26', postcode: 'WV2 3PU', city: 'Eldmouth' }, 'oakhollows@example.invalid'),
    ];
    const expected = [['h1', 'h2'], ['h3']];
    expect(clusters(resolveOffline([household]))).toEqual(expected);
    for (let seed = 1; seed <= 6; seed++) expect(clusters(resolveOffline(shuffle(household, seed).map((r) => [r])))).toEqual(expected);
  });

  it('should end with the same profiles whatever the order and the batches the records arrive in', () => {
    const expected = clusters(resolveOffline([records]));
    for (let seed = 1; seed <= 20; seed++) {
      const order = shuffle(records, seed);
      const cut = 1 + (seed % (order.length - 1));
      expect(clusters(resolveOffline([order.slice(0, cut), order.slice(cut)]))).toEqual(expected);
      expect(clusters(resolveOffline(order.map((r) => [r])))).toEqual(expected);
    }
  });

  it('should keep a do-not-link pair apart and join a must-link pair when a steward says so', () => {
    const pop = resolveOffline([records]);
    const id = (rid: string) => pop.idOf(pop.slotOfKey(`${base.find((b) => b[1] === rid)?.[0]}\u0000${rid}`) as number);
    addPair(pop.doNotLinks, id('r1'), id('r2'));
    addPair(pop.mustLinks, id('r4'), id('r5'));
    const seeds = ['r1', 'r4'].map((r) => pop.slotOfId(id(r)) as number);
    const plan = planResolution(pop, { staged: [], seeds });
    applyPlan(pop, plan, []);
    const after = clusters(pop);
    expect(after.find((c) => c.includes('r1'))).not.toContain('r2');
    expect(after.find((c) => c.includes('r4'))).toEqual(['r4', 'r5', 'r6']);
  });

  it('should take a record out of its profile when a new version no longer matches, and retire a profile its only record left', () => {
    const pop = resolveOffline([records]);
    const carl = pop.profileOf[pop.slotOfKey('crm\u0000r4') as number];
    // r6 becomes someone else entirely; r3 is deleted.
    const plan = resolveBatch(pop, [
      change('erp', 'r6', { givenName: 'Oskar', familyName: 'Whitlowe', birthDate: '1951-11-02', postcode: 'ZZ9 9ZZ' }, undefined, 2),
      change('mkt', 'r3', {}, undefined, 2, true),
    ]);
    expect(clusters(pop)).toEqual([['r1', 'r2'], ['r4'], ['r5'], ['r6']]);
    expect(pop.profileOf[pop.slotOfKey('crm\u0000r4') as number]).toBe(carl);
    expect(plan.clusters.find((c) => c.profileId === carl)?.change).toBe('split');

    const alone = pop.profileOf[pop.slotOfKey('erp\u0000r5') as number] as string;
    const retiring = resolveBatch(pop, [change('erp', 'r5', {}, undefined, 2, true)]);
    expect(retiring.retired).toEqual([{ id: alone, into: null }]);
    expect(pop.profiles.has(alone)).toBe(false);
  });

  it('should change nothing for a version that is not newer than the one held', () => {
    const pop = resolveOffline([records]);
    const before = clusters(pop);
    const replay = stageChanges(pop, records.map((r) => ({ ...r, attributes: { givenName: 'Changed' } })));
    expect(replay).toEqual([]);
    expect(clusters(pop)).toEqual(before);
  });

  it('should stop linking by a mailbox once more people than the guardrail allows use it, and undo the profiles it built', () => {
    // Different (made-up) people who write the same look-alike Gmail address, and one of them twice.
    const people = [
      ['p1', '1944-01-24', 'BS3 0HE'],
      ['p2', '1974-01-12', 'DD6 8FK'],
      ['p3', '1965-03-11', 'EH19 9RF'],
      ['p4', '1990-08-15', 'HU15 4HK'],
      ['p5', '1958-02-21', 'OX2 2OV'],
    ];
    const mailbox = people.map(([id, birthDate, postcode], i) => change(['crm', 'erp', 'mkt'][i % 3], id, { givenName: 'Mary', familyName: 'Quellsmith', birthDate, postcode }, 'maryquellsmith@gmail.com'));
    const again = change('erp', 'p1-again', { givenName: 'Mary', familyName: 'Quellsmith', birthDate: '24/01/1944', postcode: 'BS3 0HE' }, 'mary.quellsmith@gmail.com');
    const expected = [['p1', 'p1-again'], ['p2'], ['p3'], ['p4'], ['p5']];
    // Two people sharing it are still linked by it (a couple's address is another guardrail's job).
    expect(clusters(resolveOffline(mailbox.slice(0, 2).map((r) => [r])))).toEqual([['p1', 'p2']]);
    for (let seed = 1; seed <= 8; seed++) {
      const order = shuffle([...mailbox, again], seed);
      expect(clusters(resolveOffline(order.map((r) => [r])))).toEqual(expected);
      expect(clusters(resolveOffline([order]))).toEqual(expected);
    }
  });

  it('should find every record by its identifier as the population grows past its first tables', () => {
    const many = Array.from({ length: 5000 }, (_, i) => change('crm', `m${i}`, { givenName: `Name${i % 97}`, familyName: `Family${i}` }, `person${i}@example.invalid`));
    const pop = resolveOffline([many.slice(0, 2500), many.slice(2500)]);
    expect(pop.liveRecords).toBe(5000);
    // A second record with person 4321's address joins that person.
    resolveBatch(pop, [change('erp', 'x', { givenName: 'Name53', familyName: 'Family4321' }, 'PERSON4321@example.invalid')]);
    expect(pop.profileOf[pop.slotOfKey('erp\u0000x') as number]).toBe(pop.profileOf[pop.slotOfKey('crm\u0000m4321') as number]);
  });
});

describe('a rolled-back transaction', () => {
  it('should leave no trace in later plans when its records are dropped and others are staged after them', () => {
    const shared = 'anna.q@example.invalid';
    const anna = change('crm', 'w1', { givenName: 'Anna', familyName: 'Quellberg', birthDate: '1985-03-12', city: 'Ashvale' }, shared);
    const later = [...base.slice(3).map(([s, id, a, e]) => change(s, id, a, e)), change('mkt', 'z1', { givenName: 'Anna' }, shared)];
    const expected = resolveOffline([[anna], later]);

    const pop = resolveOffline([[anna]]);
    // Strangers on Anna's mailbox, staged and then rolled back (a transaction that failed).
    stageChanges(pop, ['Bo', 'Cy', 'Di', 'Ed'].map((name, i) => change('erp', `x${i}`, { givenName: name, birthDate: `19${60 + i}-01-01` }, shared)));
    pop.rollback();
    resolveBatch(pop, later);
    expect(clusters(pop)).toEqual(clusters(expected));
    expect(clusters(pop)).toContainEqual(['w1', 'z1']);
  });
});
