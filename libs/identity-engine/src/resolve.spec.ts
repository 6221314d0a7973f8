import { resolve } from './resolve';
import type { FieldSpec, InputRecord } from './types';

const schema: FieldSpec[] = [
  { name: 'given', kind: 'givenName' },
  { name: 'family', kind: 'familyName' },
  { name: 'dob', kind: 'birthDate' },
  { name: 'email', kind: 'email' },
  { name: 'city', kind: 'city' },
];

// Fictional people, several copies each with the kind of slips real sources make.
function people(): InputRecord[] {
  const base = [
    ['Anna', 'Berg', '1980-02-01', 'anna.berg@example.com', 'Leeds'],
    ['Oliver', 'Twist', '1975-11-30', 'oliver@example.org', 'London'],
    ['Kate', 'Lind', '1990-07-14', 'kate.lind@example.net', 'York'],
    ['William', 'Stone', '1966-03-09', 'wstone@example.com', 'Bath'],
    ['Maria', 'Costa', '2001-12-25', 'mcosta@example.com', 'Hull'],
  ];
  const out: InputRecord[] = [];
  base.forEach(([g, f, d, e, c], p) => {
    out.push({ id: `${p}-a`, attributes: { given: g, family: f, dob: d, email: e, city: c } });
    out.push({ id: `${p}-b`, attributes: { given: g.toUpperCase(), family: `${f}e`, dob: d.replace(/-/g, ''), email: '', city: c } });
    out.push({ id: `${p}-c`, attributes: { given: g, family: f, dob: '', email: e.toUpperCase(), city: '' } });
  });
  const given = ['Liam', 'Noah', 'Emma', 'Ava', 'Mia', 'Leo', 'Zoe', 'Ivy', 'Finn', 'Ruby', 'Owen', 'Nora', 'Hugo', 'Elsa', 'Theo', 'Iris', 'Jude', 'Cora', 'Axel', 'Lena'];
  const family = ['Moss', 'Hale', 'Reed', 'Page', 'Frost', 'Lowe', 'Nash', 'Pike', 'Rowe', 'Shaw', 'Todd', 'Vale', 'Webb', 'York', 'Bloom', 'Crane', 'Drake', 'Eaton', 'Flint', 'Grove'];
  const cities = ['Leeds', 'London', 'York', 'Bath', 'Hull', 'Derby'];
  for (let i = 0; i < 60; i++) {
    const g = given[(i * 7) % given.length];
    const f = family[(i * 11 + 3) % family.length];
    const dob = `${1940 + ((i * 13) % 60)}-${String(1 + ((i * 5) % 12)).padStart(2, '0')}-${String(1 + ((i * 17) % 28)).padStart(2, '0')}`;
    out.push({ id: `x${i}`, attributes: { given: g, family: f, dob, email: `${g}.${f}${i}@example.com`, city: cities[i % cities.length] } });
  }
  return out;
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

describe('resolve', () => {
  it('should put the copies of each person together and nobody else', () => {
    const r = resolve(people(), schema);
    for (let p = 0; p < 5; p++) {
      expect(r.assignments.get(`${p}-b`)).toBe(r.assignments.get(`${p}-a`));
      expect(r.assignments.get(`${p}-c`)).toBe(r.assignments.get(`${p}-a`));
    }
    expect(new Set([0, 1, 2, 3, 4].map((p) => r.assignments.get(`${p}-a`))).size).toBe(5);
    expect(r.assignments.get('x1')).toBe('x1');
  });

  it('should give the same clusters, model and review queue whatever the record order', () => {
    const a = resolve(people(), schema);
    for (const seed of [1, 7, 42]) {
      const b = resolve(shuffle(people(), seed), schema);
      expect([...b.assignments.entries()].sort()).toEqual([...a.assignments.entries()].sort());
      expect(b.model).toEqual(a.model);
      expect(b.review.map((x) => [x.a, x.b])).toEqual(a.review.map((x) => [x.a, x.b]));
    }
  });

  it('should explain every link with evidence', () => {
    const r = resolve(people(), schema);
    expect(r.links.length).toBeGreaterThan(0);
    for (const l of r.links) {
      expect(l.result.evidence).toHaveLength(schema.length);
      expect(['link', 'review', 'no-link']).toContain(l.result.decision);
    }
  });

  it('should keep the pairs of a common blocking key linear in the number of records', () => {
    // 1,200 different people sharing one surname and birth year (one big block for the surname-sound +
    // year rule), plus one true duplicate among them.
    const given = ['Liam', 'Noah', 'Emma', 'Ava', 'Mia', 'Leo', 'Zoe', 'Ivy', 'Finn', 'Ruby', 'Owen', 'Nora', 'Hugo', 'Elsa', 'Theo', 'Iris'];
    const recs: InputRecord[] = [];
    for (let i = 0; i < 1200; i++) {
      const dob = `1980-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + ((i * 7) % 28)).padStart(2, '0')}`;
      recs.push({ id: `s${i}`, attributes: { given: `${given[i % given.length]}${'abcdefghijklmnopqrstuvwxyz'[Math.floor(i / 16) % 26]}`, family: 'Smith', dob, email: `p${i}@example.com`, city: `Town${i % 97}` } });
    }
    recs.push({ id: 'dup', attributes: { ...recs[5].attributes, email: '' } });
    // Default priors (no training): this input is one surname and one year, nothing to learn m and u from.
    const r = resolve(recs, schema, { train: false });
    const rule = Object.entries(r.stats.rulePairs).find(([name]) => name.startsWith('family.soundex+dob.year'));
    expect(rule).toBeDefined();
    expect((rule as [string, number])[1]).toBeLessThanOrEqual(1.5 * recs.length);
    expect(r.stats.candidatePairs).toBeLessThan(10 * recs.length);
    expect(r.assignments.get('dup')).toBe(r.assignments.get('s5'));
  });

  it('should cope with an empty input and with records that have no values', () => {
    expect(resolve([], schema).clusters).toEqual([]);
    const r = resolve([{ id: '1', attributes: {} }, { id: '2', attributes: {} }], schema);
    expect(r.clusters.map((c) => c.recordIds)).toEqual([['1'], ['2']]);
  });
});
