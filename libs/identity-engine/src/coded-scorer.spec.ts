import { CodedScorer, type CodedRecords } from './coded-scorer';
import { compare, modelTermFrequencyContext } from './scoring';
import { defaultModel, type MatchModel } from './model/match-model';
import { normalizeRecord, ValueNormalizer } from './normalize/record';
import type { FieldSpec, NormalizedRecord } from './types';

const schema: FieldSpec[] = [
  { name: 'givenName', kind: 'givenName' },
  { name: 'familyName', kind: 'familyName' },
  { name: 'birthDate', kind: 'birthDate' },
  { name: 'email', kind: 'email' },
  { name: 'phone', kind: 'phone' },
  { name: 'street', kind: 'street' },
  { name: 'houseNumber', kind: 'houseNumber' },
  { name: 'postcode', kind: 'postcode' },
  { name: 'city', kind: 'city' },
];
const model = defaultModel(schema);
const normalizer = new ValueNormalizer();

/** Interns normalized records the way a streaming store would. */
function coded(records: NormalizedRecord[]): CodedRecords {
  const dictionaries = schema.map(() => [] as string[]);
  const index = schema.map(() => new Map<string, number>());
  const codes = schema.map(() => new Int32Array(records.length));
  records.forEach((r, i) =>
    r.values.forEach((v, f) => {
      if (v === null) return void (codes[f][i] = -1);
      let c = index[f].get(v);
      if (c === undefined) {
        c = dictionaries[f].push(v) - 1;
        index[f].set(v, c);
      }
      codes[f][i] = c;
    }),
  );
  return { codes, dictionaries };
}

function shares(a: NormalizedRecord, b: NormalizedRecord): boolean {
  return sharedType(a, b) !== null;
}

/** The type of a's first identifier that b carries too (compare names its deterministic rule after it). */
function sharedType(a: NormalizedRecord, b: NormalizedRecord): string | null {
  return a.identifiers.find((x) => b.identifiers.some((y) => x.type === y.type && x.value === y.value))?.type ?? null;
}

// Small seeded generator of one person's variants: typos, nicknames, swapped names, missing values,
// another format, a moved address, a household member.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const GIVEN = ['Anna', 'Ann', 'Robert', 'Bob', 'Katherine', 'Kate', 'Johan', 'John', 'Maria', 'Marie'];
const FAMILY = ['Berglund', 'Berglumd', 'Smith', 'Smyth', 'Lindqvist', 'Lindquist', 'Okafor', 'Nguyen'];
const DATES = ['1980-02-01', '01/02/1980', '1980-01-02', '1975-11-30', '1975-11-03', ''];
const EMAILS = ['anna.berg@example.com', 'Anna.Berg@Example.com', 'annaberg@gmail.com', 'an.na.berg+shop@gmail.com', 'info@shop.example', ''];
const PHONES = ['+46 70 123 45 67', '070-1234567', '+46701234568', '+44 20 7946 0958', ''];
const STREETS = ['Storgatan', 'Storg.', 'High Street', 'High St', ''];
const HOUSES = ['12', '12B', '7', ''];
const POSTCODES = ['114 55', '11455', 'SW1A 1AA', ''];
const CITIES = ['Stockholm', 'stockholm', 'London', 'Göteborg', ''];

/** `count` seeded records drawn from the pools above, 10% with names swapped, identifiers as `identifiers` draws them. */
function sample(seed: number, count: number, identifiers: (next: () => number, pick: <T>(xs: T[]) => T) => Array<{ type: string; value: string }>): NormalizedRecord[] {
  const next = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const records: NormalizedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const attributes: Record<string, string> = {
      givenName: pick(GIVEN),
      familyName: pick(FAMILY),
      birthDate: pick(DATES),
      email: pick(EMAILS),
      phone: pick(PHONES),
      street: pick(STREETS),
      houseNumber: pick(HOUSES),
      postcode: pick(POSTCODES),
      city: pick(CITIES),
    };
    if (next() < 0.1) [attributes.givenName, attributes.familyName] = [attributes.familyName, attributes.givenName];
    records.push(normalizeRecord({ id: String(i), attributes, identifiers: identifiers(next, pick) }, schema, normalizer));
  }
  return records;
}

/** A customer number on 30% of records. */
const customerNumbers = (next: () => number) => (next() < 0.3 ? [{ type: 'crm:customerNumber', value: String(Math.floor(next() * 20)) }] : []);

describe('CodedScorer', () => {
  it('should give every pair exactly the score, rule and evidence compare gives it, so streaming and single-pair scoring never disagree', () => {
    const records = sample(7, 400, (next, pick) => (next() < 0.3 ? [{ type: 'crm:customerNumber', value: String(Math.floor(next() * 20)) }] : next() < 0.3 ? [{ type: 'email', value: pick(EMAILS) || 'x@example.invalid' }] : []));
    const table = coded(records);
    // The same codes slot by slot as well, as the streaming population holds them (read instead of the columns).
    const F = table.codes.length;
    const rows = new Int32Array(records.length * F);
    for (let i = 0; i < records.length; i++) for (let f = 0; f < F; f++) rows[i * F + f] = table.codes[f][i];
    const withRows: CodedRecords = { ...table, rows };
    const scorer = new CodedScorer(model);
    const decisions = new Set<string>();
    let compared = 0;
    for (let i = 0; i < records.length; i++) {
      for (let j = i + 1; j < records.length; j += 7) {
        const expected = compare(records[i], records[j], model);
        expect(scorer.score(table, i, j, shares(records[i], records[j]))).toBe(expected.score);
        // Asked for the shared identifier only when it could matter, the score is the same.
        expect(scorer.scoreAsking(withRows, i, j, (a, b) => shares(records[a], records[b]))).toBe(expected.score);
        if (j % 5 === 0) expect(scorer.explain(table, i, j, sharedType(records[i], records[j]))).toEqual({ score: expected.score, rule: expected.rule, evidence: expected.evidence });
        decisions.add(expected.decision);
        compared++;
      }
    }
    // The sample reaches every decision, so the equality above covers links, reviews and non-links.
    expect(decisions).toEqual(new Set(['link', 'review', 'no-link']));
    expect(compared).toBeGreaterThan(10000);

    // With some values carried by too many people (a shop's mailbox and phone), they stop identifying in both.
    const crowded = new Set(['info@shop.example', '+442079460958']);
    const people = (value: string) => (crowded.has(value) ? model.guardrails.maxPeoplePerIdentifier + 2 : 1);
    const context = { peopleSharing: (_f: number, v: string) => people(v), identifierPeople: (_t: string, v: string) => people(v) };
    const identifies = (f: number, code: number) => !crowded.has(table.dictionaries[f][code]);
    const sharedOk = (a: NormalizedRecord, b: NormalizedRecord) => a.identifiers.find((x) => !crowded.has(x.value) && b.identifiers.some((y) => x.type === y.type && x.value === y.value))?.type ?? null;
    let guarded = 0;
    // Both with the batch default and with crowded values weighing nothing (the hub's streaming model).
    const quiet = { ...model, guardrails: { ...model.guardrails, crowdedIdentifiersWeighNothing: true } };
    for (const m of [model, quiet]) {
      const s = new CodedScorer(m);
      for (let i = 0; i < records.length; i++) {
        for (let j = i + 3; j < records.length; j += 11) {
          const expected = compare(records[i], records[j], m, context);
          expect(s.score(table, i, j, sharedOk(records[i], records[j]) !== null, identifies)).toBe(expected.score);
          expect(s.scoreAsking(withRows, i, j, (a, b) => sharedOk(records[a], records[b]) !== null, identifies)).toBe(expected.score);
          expect(s.explain(table, i, j, sharedOk(records[i], records[j]), identifies)).toEqual({ score: expected.score, rule: expected.rule, evidence: expected.evidence });
          if (records[i].values.some((v, f) => v !== null && v === records[j].values[f] && crowded.has(v))) guarded++;
        }
      }
    }
    expect(guarded).toBeGreaterThan(100);
  });

  it('should give a pair its exact score from scoreAtLeast when the score reaches the floor, and a number below the floor only when it does not', () => {
    const records = sample(11, 300, customerNumbers);
    const table = coded(records);
    const crowded = new Set(['info@shop.example']);
    const identifies = (f: number, code: number) => !crowded.has(table.dictionaries[f][code]);
    const quiet = { ...model, guardrails: { ...model.guardrails, crowdedIdentifiersWeighNothing: true } };
    const exactScorer = new CodedScorer(quiet);
    const scorer = new CodedScorer(quiet);
    const ask = (a: number, b: number) => shares(records[a], records[b]);
    let cut = 0;
    let kept = 0;
    // The review threshold (what the planner asks), the clustering's clip, and thresholds around them.
    for (const floor of [scorer.reviewScore, -20, -5, 0, scorer.linkScore]) {
      for (let i = 0; i < records.length; i++) {
        for (let j = i + 1; j < records.length; j += 3) {
          const expected = exactScorer.scoreAsking(table, i, j, ask, identifies);
          const got = scorer.scoreAtLeast(table, i, j, floor, ask, identifies);
          if (expected >= floor) {
            expect(got).toBe(expected);
            kept++;
          } else {
            expect(got).toBeLessThan(floor);
            if (got !== expected) cut++;
          }
        }
      }
    }
    // Both ways are covered: pairs cut short below the floor and pairs scored in full above it.
    expect(cut).toBeGreaterThan(1000);
    expect(kept).toBeGreaterThan(1000);
  });

  it("should weigh exact agreements by the model's term-frequency tables as compare does with them: a common family name counts for less than a rare one", () => {
    const records = sample(23, 300, customerNumbers);
    const table = coded(records);
    const family = normalizer.normalize('familyName', 'Smith') as string;
    const rare = normalizer.normalize('familyName', 'Okafor') as string;
    const anna = normalizer.normalize('givenName', 'Anna') as string;
    // Smith is common, Okafor and every value not listed rare; Anna common; birth dates listed none.
    const weighted: MatchModel = {
      ...model,
      guardrails: { ...model.guardrails, crowdedIdentifiersWeighNothing: true },
      termFrequencies: {
        familyName: { values: { [family]: 0.2 }, floor: 0.0001 },
        givenName: { values: { [anna]: 0.1 }, floor: 0.001 },
        birthDate: { values: {}, floor: 0.00002 },
      },
    };
    const crowded = new Set(['info@shop.example']);
    const context = { ...modelTermFrequencyContext(weighted), peopleSharing: (_f: number, v: string) => (crowded.has(v) ? 10 : 1) };
    const identifies = (f: number, code: number) => !crowded.has(table.dictionaries[f][code]);
    const scorer = new CodedScorer(weighted);
    const bounded = new CodedScorer(weighted);
    const ask = (a: number, b: number) => shares(records[a], records[b]);
    const familyAdjustment = new Map<string, number>();
    let kept = 0;
    for (let i = 0; i < records.length; i++) {
      for (let j = i + 1; j < records.length; j += 3) {
        const expected = compare(records[i], records[j], weighted, context);
        expect(scorer.scoreAsking(table, i, j, ask, identifies)).toBe(expected.score);
        const explained = scorer.explain(table, i, j, sharedType(records[i], records[j]), identifies);
        expect(explained).toEqual({ score: expected.score, rule: expected.rule, evidence: expected.evidence });
        const got = bounded.scoreAtLeast(table, i, j, bounded.reviewScore, ask, identifies);
        if (expected.score >= bounded.reviewScore) {
          expect(got).toBe(expected.score);
          kept++;
        } else expect(got).toBeLessThan(bounded.reviewScore);
        const e = explained.evidence.find((x) => x.field === 'familyName');
        if (e?.level === 'exact') familyAdjustment.set(records[i].values[1] as string, e.tfAdjustment);
      }
    }
    expect(kept).toBeGreaterThan(100);
    // What a steward reads in the evidence: Smith's agreement counts less than the prior weight, Okafor's more.
    expect(familyAdjustment.get(family)).toBeLessThan(0);
    expect(familyAdjustment.get(rare)).toBeGreaterThan(0);
    // A model without tables scores as before.
    expect(new CodedScorer(model).score(table, 0, 1, ask(0, 1))).toBe(compare(records[0], records[1], model).score);
  });
});
