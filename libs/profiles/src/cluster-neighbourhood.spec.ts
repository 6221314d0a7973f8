import { clusterNeighbourhood, NO_CONSTRAINTS, pairKey, PairScorer } from './cluster-neighbourhood';
import { hubModel, RecordNormalizer, type ResolvedRecord, type StoredRecord } from './record-model';

const model = hubModel();
const normalizer = new RecordNormalizer(model);

function record(n: number, source: string, attributes: Record<string, string>, email?: string): ResolvedRecord {
  const stored: StoredRecord = {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    source,
    sourceRecordId: `r${n}`,
    occurredAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
    attributes,
    identifiers: email ? [{ type: 'email', value: email }] : [],
    profileId: null,
  };
  return normalizer.resolve(stored);
}

// Fictitious people.
const records = [
  record(1, 'crm', { givenName: 'Anna', familyName: 'Quellberg', birthDate: '1985-03-12', city: 'Ashvale' }, 'anna.q@example.invalid'),
  record(2, 'erp', { givenName: 'Anna', familyName: 'Qeullberg', birthDate: '12/03/1985', city: 'Ashvale' }, 'ANNA.Q@example.invalid'),
  record(3, 'mkt', { givenName: 'Anna' }, 'anna.q@example.invalid'),
  record(4, 'crm', { givenName: 'Carl', familyName: 'Dunmoreton', birthDate: '1970-06-30', postcode: 'BS1 5TR' }, 'family@example.invalid'),
  record(5, 'erp', { givenName: 'Freya', familyName: 'Dunmoreton', birthDate: '1998-01-17', postcode: 'BS1 5TR' }, 'family@example.invalid'),
  record(6, 'erp', { givenName: 'Carl', familyName: 'Dunmoreton', birthDate: '30/06/1970', postcode: 'BS1 5TR' }),
];

const ids = (clusters: ResolvedRecord[][]) => clusters.map((c) => c.map((r) => r.stored.sourceRecordId));

function shuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('clusterNeighbourhood', () => {
  it('should group the same person and keep a household apart', () => {
    const result = clusterNeighbourhood(records, new PairScorer(model, NO_CONSTRAINTS), NO_CONSTRAINTS);
    expect(ids(result.clusters)).toEqual([['r1', 'r2', 'r3'], ['r4', 'r6'], ['r5']]);
    expect(result.review.map((p) => [p.a.stored.sourceRecordId, p.b.stored.sourceRecordId].sort())).toContainEqual(['r4', 'r5']);
    expect(result.links.every((l) => l.result.evidence.length > 0)).toBe(true);
  });

  it('should give the same clusters whatever order the records come in', () => {
    const expected = ids(clusterNeighbourhood(records, new PairScorer(model, NO_CONSTRAINTS), NO_CONSTRAINTS).clusters);
    for (let seed = 1; seed <= 20; seed++) {
      expect(ids(clusterNeighbourhood(shuffle(records, seed), new PairScorer(model, NO_CONSTRAINTS), NO_CONSTRAINTS).clusters)).toEqual(expected);
    }
  });

  it('should keep a do-not-link pair apart and join a must-link pair when a steward says so', () => {
    const constraints = { mustLink: new Set([pairKey(records[3].stored.id, records[4].stored.id)]), doNotLink: new Set([pairKey(records[0].stored.id, records[1].stored.id)]) };
    const result = clusterNeighbourhood(records, new PairScorer(model, constraints), constraints);
    const clusters = ids(result.clusters);
    expect(clusters.find((c) => c.includes('r1'))).not.toContain('r2');
    expect(clusters.find((c) => c.includes('r4'))).toEqual(['r4', 'r5', 'r6']);
  });
});
