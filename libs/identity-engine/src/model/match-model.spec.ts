import { defaultModel, levelWeights, modelFingerprint, type MatchModel } from './match-model';

const schema = [
  { name: 'givenName', kind: 'givenName' as const },
  { name: 'email', kind: 'email' as const },
];

/** The same object with every key in reverse order, as a hand-edited or re-serialized file might have it. */
function reordered<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reordered) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)])) as T;
  return value;
}

describe('modelFingerprint', () => {
  it('should name a model the same however its keys are ordered, and differently once a threshold or weight changes', () => {
    const model = defaultModel(schema);
    const copy: MatchModel = JSON.parse(JSON.stringify(reordered(model)));
    expect(Object.keys(copy)).not.toEqual(Object.keys(model));
    expect(modelFingerprint(copy)).toBe(modelFingerprint(model));
    expect(modelFingerprint(model)).toMatch(/^[0-9a-f]{16}$/);
    expect(modelFingerprint({ ...model, thresholds: { ...model.thresholds, link: 0.95 } })).not.toBe(modelFingerprint(model));
    const weights = JSON.parse(JSON.stringify(model)) as MatchModel;
    weights.fields[1].m[0] = 0.9;
    expect(modelFingerprint(weights)).not.toBe(modelFingerprint(model));
  });
});

describe('levelWeights', () => {
  it('should never let a disagreement count for a match or an exact agreement against one, as a field constant in the training data would have it', () => {
    const model = defaultModel([...schema, { name: 'country', kind: 'country' as const }]);
    const country = model.fields[2];
    // What training gives a field on which every random pair agrees.
    country.m = [0.9995, 0.0005];
    country.u = [1, 0];
    const [, , weights] = levelWeights(model);
    expect(Array.from(weights)).toEqual([0, 0]);
    // Other fields keep their log2(m/u).
    const given = levelWeights(model)[0];
    expect(given[0]).toBeCloseTo(Math.log2(model.fields[0].m[0] / model.fields[0].u[0]), 10);
    expect(given[given.length - 1]).toBeLessThan(0);
  });
});
