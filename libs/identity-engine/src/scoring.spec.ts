import { compare, mergeSupport } from './scoring';
import { defaultModel } from './model/match-model';
import { normalizeRecord, ValueNormalizer } from './normalize/record';
import { blockingKeys } from './blocking-keys';
import type { FieldSpec, InputRecord } from './types';

const schema: FieldSpec[] = [
  { name: 'given', kind: 'givenName' },
  { name: 'family', kind: 'familyName' },
  { name: 'dob', kind: 'birthDate' },
  { name: 'email', kind: 'email' },
  { name: 'postcode', kind: 'postcode' },
];
const model = defaultModel(schema);
const normalizer = new ValueNormalizer();
const rec = (id: string, a: Record<string, string>, identifiers?: InputRecord['identifiers']) => normalizeRecord({ id, attributes: a, identifiers }, schema, normalizer);

describe('compare', () => {
  it('should link near-identical records and carry per-field evidence', () => {
    const r = compare(
      rec('1', { given: 'Anna', family: 'Berglund', dob: '1980-02-01', postcode: 'SW1A 1AA' }),
      rec('2', { given: 'anna', family: 'Berglumd', dob: '01/02/1980', postcode: 'sw1a1aa' }),
      model,
    );
    expect(r.decision).toBe('link');
    expect(r.rule).toBe('fellegi-sunter');
    expect(r.evidence.map((e) => [e.field, e.level])).toEqual([
      ['given', 'exact'],
      ['family', 'jaro-winkler>=0.92'],
      ['dob', 'exact'],
      ['email', 'missing'],
      ['postcode', 'exact'],
    ]);
    expect(r.score).toBeCloseTo(r.evidence.reduce((s, e) => s + e.weight, 0) + Math.log2(model.prior / (1 - model.prior)), 2);
  });

  it('should not link on a shared email alone when surname and birth date both disagree (look-alike mailbox)', () => {
    const a = rec('1', { given: 'James', family: 'Moore', dob: '1970-01-02', email: 'jamesm@example.com', postcode: 'BS3 1PG' });
    const r = compare(a, rec('2', { given: 'James', family: 'Murray', dob: '1960-05-23', email: 'jamesm@example.com', postcode: 'BD7 0FA' }), model);
    expect(r.rule).not.toMatch(/^deterministic/);
    expect(r.decision).not.toBe('link');
    // The same mailbox with a married name but the same birth date still links on the email.
    const s = compare(a, rec('3', { given: 'James', family: 'Hart', dob: '1970-01-02', email: 'jamesm@example.com' }), model);
    expect(s.rule).toBe('deterministic:email');
  });

  it('should not link records that share nothing', () => {
    const r = compare(rec('1', { given: 'Anna', family: 'Berg', dob: '1980-02-01' }), rec('2', { given: 'Oliver', family: 'Twist', dob: '1999-12-31' }), model);
    expect(r.decision).toBe('no-link');
  });

  it('should link on a normalized email deterministically when the person attributes do not disagree', () => {
    const r = compare(rec('1', { email: 'A.Berg+news@gmail.com', given: 'Anna' }), rec('2', { email: 'aberg@gmail.com', given: 'Anna' }), model);
    expect(r.rule).toBe('deterministic:email');
    expect(r.decision).toBe('link');
  });

  it('should not link household members who share an email but differ in given name and birth date', () => {
    const r = compare(
      rec('1', { email: 'family@example.com', given: 'Anna', family: 'Berg', dob: '1980-02-01' }),
      rec('2', { email: 'family@example.com', given: 'Oliver', family: 'Berg', dob: '2011-07-19' }),
      model,
    );
    expect(r.decision).not.toBe('link');
  });

  it('should queue a household pair for review but count it against putting its records in one profile', () => {
    const household = compare(
      rec('1', { email: 'family@example.com', given: 'Anna', family: 'Berg', dob: '1980-02-01' }),
      rec('2', { email: 'family@example.com', given: 'Oliver', family: 'Berg', dob: '2011-07-19' }),
      model,
    );
    expect([household.decision, household.rule]).toEqual(['review', 'guardrail:person-attributes-disagree']);
    // Another given name and another birth date, from the prior: well against (the shared email counts for nothing).
    expect(mergeSupport(household.score)).toBeLessThan(-10);
    const same = compare(rec('1', { email: 'anna@example.com', given: 'Anna', family: 'Berg' }), rec('2', { email: 'anna@example.com', given: 'Anna', family: 'Berg' }), model);
    expect(mergeSupport(same.score)).toBe(same.score);
  });

  it('should stop an over-shared identifier from linking on its own', () => {
    const a = rec('1', { email: 'info@shop.example', given: 'Anna' });
    const b = rec('2', { email: 'info@shop.example', given: 'Anna' });
    const shared = compare(a, b, model, { peopleSharing: () => 50, termFrequency: (f) => (f === 3 ? 0.2 : undefined) });
    expect(shared.rule).toBe('fellegi-sunter');
    expect(shared.evidence[3].tfAdjustment).toBeLessThan(0);
  });

  it('should weigh a rare surname more than a common one', () => {
    const a = rec('1', { family: 'Smith' });
    const tf = (freq: number) => compare(a, a, model, { termFrequency: (f) => (f === 1 ? freq : undefined) }).evidence[1].weight;
    expect(tf(0.0001)).toBeGreaterThan(tf(0.05));
  });

  it('should veto a link when identifiers declared unique conflict', () => {
    const r = compare(
      rec('1', { given: 'Anna', family: 'Berg', dob: '1980-02-01' }, [{ type: 'crm', value: '1', unique: true }]),
      rec('2', { given: 'Anna', family: 'Berg', dob: '1980-02-01' }, [{ type: 'crm', value: '2', unique: true }]),
      model,
    );
    expect(r.rule).toBe('veto:crm');
    expect(r.decision).toBe('no-link');
  });

  it('should detect given and family names written into each other', () => {
    const r = compare(rec('1', { given: 'Anna', family: 'Berg' }), rec('2', { given: 'Berg', family: 'Anna' }), model);
    expect(r.evidence[0].level).toBe('swapped');
    expect(r.evidence[1].level).toBe('swapped');
  });

  it('should survive a JSON round trip of the model', () => {
    const copy = JSON.parse(JSON.stringify(model));
    const a = rec('1', { given: 'Anna', family: 'Berg' });
    const b = rec('2', { given: 'Ana', family: 'Berg' });
    expect(compare(a, b, copy)).toEqual(compare(a, b, model));
  });
});

describe('blockingKeys', () => {
  it('should produce indexable keys that typo-variants share under some rule', () => {
    const a = blockingKeys(rec('1', { given: 'Anna', family: 'Berg', dob: '1980-02-01', postcode: 'SW1A 1AA' }), model);
    const b = blockingKeys(rec('2', { given: 'Anna', family: 'Burg', dob: '1980-02-01', postcode: 'SW1A 1AB' }), model);
    expect(a.some((k) => b.includes(k))).toBe(true);
    expect(a.every((k) => typeof k === 'string' && k.includes('='))).toBe(true);
  });
  it('should give no keys for an empty record', () => {
    expect(blockingKeys(rec('1', {}), model)).toEqual([]);
  });
});
