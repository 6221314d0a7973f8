import type { Client } from 'pg';
import { evaluateClusters } from '@tandem/identity-engine';
import { generateRecords } from '@tandem/synthetic';

export interface ResolvedQuality {
  records: number;
  people: number;
  pairwise: { precision: number; recall: number; f1: number };
  /** Profiles whose records belong to two or more of the generator's people. */
  mixedProfiles: number;
  /** People whose records are in two or more profiles. */
  splitPeople: number;
  review: { open: number; samePerson: number; byRule: Array<{ rule: string; items: number; samePerson: number }> };
  /** Household pairs recorded (held apart by the person-attribute guardrail, not waiting for a steward). */
  households: { pairs: number; samePerson: number };
}

/**
 * How the profiles resolved from the benchmark's stream compare with the people the generator made them
 * from: pairwise precision and recall over the records of `sources`, what the open review queue asks
 * of a steward (how many pairs, and how many of them are in fact one person), and how many household
 * pairs were recorded beside it. A benchmark's figure, for the data office's view of quality and review
 * load at scale; never a test's check. The generator's
 * first records do not depend on how many it makes, so the first `records` of seed `seed` name every
 * record the stream sent (the benchmark's record ids are the generator's, suffixed `-<seed>`).
 */
export async function resolvedQuality(db: Client, sources: readonly string[], records: number, seed: number): Promise<ResolvedQuality> {
  const personOf = new Map<string, number>();
  const personIds = new Map<string, number>();
  for (const r of generateRecords({ records, seed })) {
    let person = personIds.get(r.personId);
    if (person === undefined) personIds.set(r.personId, (person = personIds.size));
    personOf.set(`${r.recordId}-${seed}`, person);
  }
  const { rows } = await db.query<[string, string]>({
    text: `SELECT source_record_id, profile_id::text FROM source_records WHERE source = ANY($1) AND NOT deleted AND profile_id IS NOT NULL`,
    values: [sources],
    rowMode: 'array',
  });
  const profileIds = new Map<string, number>();
  const predicted: number[] = [];
  const truth: number[] = [];
  for (const [recordId, profileId] of rows) {
    const person = personOf.get(recordId);
    if (person === undefined) throw new Error(`record ${recordId} is not among the generator's first ${records} records of seed ${seed}`);
    let profile = profileIds.get(profileId);
    if (profile === undefined) profileIds.set(profileId, (profile = profileIds.size));
    predicted.push(profile);
    truth.push(person);
  }
  const { pairwise } = evaluateClusters(predicted, truth);
  const peopleOfProfile = new Map<number, Set<number>>();
  const profilesOfPerson = new Map<number, Set<number>>();
  for (let i = 0; i < predicted.length; i++) {
    addTo(peopleOfProfile, predicted[i], truth[i]);
    addTo(profilesOfPerson, truth[i], predicted[i]);
  }
  const { rows: items } = await db.query<[string, string, string, string]>({
    text: `SELECT a.source_record_id, b.source_record_id, q.rule, q.status
             FROM review_queue q JOIN source_records a ON a.id = q.record_a JOIN source_records b ON b.id = q.record_b
            WHERE q.status IN ('open', 'household') AND a.source = ANY($1) AND b.source = ANY($1)`,
    values: [sources],
    rowMode: 'array',
  });
  const byRule = new Map<string, { rule: string; items: number; samePerson: number }>();
  let samePerson = 0;
  let open = 0;
  const households = { pairs: 0, samePerson: 0 };
  for (const [a, b, rule, status] of items) {
    const same = personOf.get(a) !== undefined && personOf.get(a) === personOf.get(b);
    if (status === 'household') {
      households.pairs++;
      if (same) households.samePerson++;
      continue;
    }
    open++;
    if (same) samePerson++;
    let counts = byRule.get(rule);
    if (!counts) byRule.set(rule, (counts = { rule, items: 0, samePerson: 0 }));
    counts.items++;
    if (same) counts.samePerson++;
  }
  return {
    records: predicted.length,
    people: profilesOfPerson.size,
    pairwise: { precision: pairwise.precision, recall: pairwise.recall, f1: pairwise.f1 },
    mixedProfiles: [...peopleOfProfile.values()].filter((s) => s.size > 1).length,
    splitPeople: [...profilesOfPerson.values()].filter((s) => s.size > 1).length,
    review: { open, samePerson, byRule: [...byRule.values()].sort((x, y) => y.items - x.items) },
    households,
  };
}

/** The quality as the benchmark prints it (three lines). */
export function describeQuality(q: ResolvedQuality): string {
  const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : 'n/a');
  const rules = q.review.byRule.map((r) => `${r.rule} ${r.items} (${pct(r.samePerson, r.items)} one person)`).join(', ');
  return (
    `against the generator's people (${q.records} records of ${q.people} people): pairwise precision ${q.pairwise.precision.toFixed(4)}, recall ${q.pairwise.recall.toFixed(4)}, F1 ${q.pairwise.f1.toFixed(4)}; ` +
    `${q.mixedProfiles} profiles hold two or more people, ${q.splitPeople} people are in two or more profiles\n` +
    `review queue: ${q.review.open} open pairs (${((1000 * q.review.open) / Math.max(1, q.records)).toFixed(1)} per 1,000 records), ${pct(q.review.samePerson, q.review.open)} of them one person${rules ? `; by rule: ${rules}` : ''}\n` +
    `households recorded: ${q.households.pairs} pairs, ${pct(q.households.samePerson, q.households.pairs)} of them one person`
  );
}

function addTo(map: Map<number, Set<number>>, key: number, value: number): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
