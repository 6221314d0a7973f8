import { generateRecords } from '@tandem/synthetic';
import { resolveOffline, type RecordChange } from '../profile-resolver';
import { PairScores } from './planner';

// Synthetic people (fictitious), resolved offline into a population whose candidate pairs are then scored.
function changes(count: number): RecordChange[] {
  return [...generateRecords({ records: count, seed: 9 })].map((r, index) => ({
    source: ['bench-crm', 'bench-erp', 'bench-mkt'][index % 3],
    sourceRecordId: r.recordId,
    version: 1,
    eventId: `e${index}`,
    kind: 'customer.upserted',
    deleted: false,
    occurredAt: new Date(1_763_800_000_000 + index * 1000).toISOString(),
    attributes: Object.fromEntries((['givenName', 'familyName', 'birthDate', 'street', 'houseNumber', 'city', 'postcode'] as const).filter((k) => r[k]).map((k) => [k, r[k] as string])),
    identifiers: [...(r.email ? [{ type: 'email', value: r.email }] : []), ...(r.phone ? [{ type: 'phone', value: r.phone }] : [])],
    consents: [],
  }));
}

describe('PairScores', () => {
  it('should give the exact score of every pair at or above the review threshold from edge, below it only for pairs below it, and the exact score from get afterwards', () => {
    const pop = resolveOffline([changes(4000)]);
    const review = pop.scorer.reviewScore;
    const scores = new PairScores(pop);
    let below = 0;
    let above = 0;
    let bounded = 0;
    const pairs: Array<[number, number]> = [];
    // Pairs that share a key: the candidates a search meets, matches and non-matches alike.
    for (const s of pop.liveSlots()) {
      const end = pop.keyOffset(s) + pop.keyLength(s);
      for (let x = pop.keyOffset(s); x < end; x++) {
        for (let p = pop.index.firstPosting(pop.keys[x]); p >= 0; p = pop.index.nextPosting(p)) {
          const t = pop.index.postingSlot(p);
          if (t > s && pop.isAlive(t)) pairs.push([s, t]);
        }
      }
    }
    for (const [s, t] of pairs) {
      const exact = pop.score(s, t);
      const edge = scores.edge(t, s);
      if (exact >= review) {
        expect(edge).toBe(exact);
        above++;
      } else {
        expect(edge).toBeLessThan(review);
        below++;
        if (edge !== exact) bounded++;
      }
      // Asked again for the score itself (the clustering's merge check), the cached bound is replaced.
      expect(scores.get(s, t)).toBe(exact);
      expect(scores.edge(s, t)).toBe(exact);
    }
    expect(above).toBeGreaterThan(500);
    expect(below).toBeGreaterThan(500);
    expect(bounded).toBeGreaterThan(100);
  }, 60_000);
});
