import { readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { assertMatchModel, type MatchModel } from '@tandem/identity-engine';
import { ProfileResolver, type ResolutionTransaction } from './profile-resolver';
import { hubModel } from './record-model';
import { loadPopulation, removePair } from './population/loader';
import { clusterSlots, PairScores } from './population/planner';
import { Population } from './population/population';

/** Reads a model JSON file (as `npm run er` or a training run writes it), or the hub's default model. */
export function loadModel(file?: string, overrides: { link?: number; review?: number } = {}): MatchModel {
  let model: MatchModel = hubModel();
  if (file) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    assertMatchModel(parsed);
    // The hub's rule for crowded emails and phones holds for stored models too unless they say otherwise.
    model = { ...parsed, guardrails: { ...parsed.guardrails, crowdedIdentifiersWeighNothing: parsed.guardrails.crowdedIdentifiersWeighNothing ?? true } };
  }
  if (overrides.link !== undefined || overrides.review !== undefined) {
    model = { ...model, thresholds: { link: overrides.link ?? model.thresholds.link, review: overrides.review ?? model.thresholds.review } };
  }
  return model;
}

export interface RebuildProgress {
  phase: 'keys' | 'profiles';
  done: number;
  total: number;
}

export interface RebuildResult {
  records: number;
  profilesCreated: number;
  profilesChanged: number;
  profilesRetired: number;
  /** Open and household review items that no longer reach the review band under the model (now obsolete). */
  reviewItemsRetired: number;
}

/**
 * Recomputes every profile from the stored source records (not from Kafka): the population is read and
 * normalized under `model` (new identifiers and blocking keys), then every record's neighbourhood is
 * re-clustered, chunk by chunk, each chunk in its own transaction under the resolution lock like the
 * streaming resolver, so it can run beside it. Records are looked up in the key index as if new, so a
 * model that links more finds its new candidates.
 */
export async function rebuildProfiles(dataSource: DataSource, model: MatchModel, options: { chunk?: number; sources?: string[]; onProgress?(p: RebuildProgress): void } = {}): Promise<RebuildResult> {
  const chunk = options.chunk ?? 2000;
  const ids: string[] = (
    await dataSource.query(`SELECT id FROM source_records WHERE NOT deleted AND ($1::text[] IS NULL OR source = ANY($1::text[])) ORDER BY id`, [options.sources ?? null])
  ).map((r: { id: string }) => r.id);
  const [{ total }] = await dataSource.query(`SELECT count(*)::int AS total FROM source_records`);
  const resolver = new ProfileResolver(model, { onLoad: (done) => options.onProgress?.({ phase: 'keys', done, total: Math.max(total, done) }) });
  await resolver.load(dataSource);
  options.onProgress?.({ phase: 'keys', done: total, total });
  const result: RebuildResult = { records: ids.length, profilesCreated: 0, profilesChanged: 0, profilesRetired: 0, reviewItemsRetired: 0 };
  for (let i = 0; i < ids.length; i += chunk) {
    const slice = ids.slice(i, i + chunk);
    const outcome = await resolver.transaction(dataSource, (tx) => tx.recluster(slice, { searchSeeds: true }));
    result.profilesCreated += outcome.profilesCreated;
    result.profilesChanged += outcome.profilesChanged;
    result.profilesRetired += outcome.profilesRetired;
    options.onProgress?.({ phase: 'profiles', done: Math.min(i + chunk, ids.length), total: ids.length });
  }
  result.reviewItemsRetired = await resolver.transaction(dataSource, (tx) => retireOutdatedReview(tx, new Set(ids)));
  return result;
}

/**
 * Review items queued under the rules before a rebuild, scored again under the rebuild's model: one
 * whose pair no longer reaches the review band becomes obsolete, as if the new rules had met it first
 * (pairs the new rules put in one profile are made obsolete by the re-clustering itself). Items of
 * the rebuilt records only. A rebuild under the old rules queues them again. Returns how many.
 */
async function retireOutdatedReview(tx: ResolutionTransaction, rebuilt: ReadonlySet<string>): Promise<number> {
  const pop = tx.population;
  const items: Array<{ id: string; record_a: string; record_b: string }> = await tx.manager.query(
    `SELECT id, record_a, record_b FROM review_queue WHERE status IN ('open', 'household')`,
  );
  const outdated: string[] = [];
  const records = new Set<string>();
  for (const item of items) {
    if (!rebuilt.has(item.record_a) && !rebuilt.has(item.record_b)) continue;
    const a = pop.slotOfId(item.record_a);
    const b = pop.slotOfId(item.record_b);
    if (a === undefined || b === undefined) continue;
    const [x, y] = pop.sortKeyOf(a) < pop.sortKeyOf(b) ? [a, b] : [b, a];
    if (pop.explain(x, y).score >= pop.scorer.reviewScore) continue;
    outdated.push(item.id);
    removePair(pop.openReview, item.record_a, item.record_b);
    records.add(item.record_a);
    records.add(item.record_b);
  }
  for (let i = 0; i < outdated.length; i += 10000) {
    await tx.manager.query(`UPDATE review_queue SET status = 'obsolete' WHERE id = ANY($1::uuid[])`, [outdated.slice(i, i + 10000)]);
  }
  // Other instances read these records' review items again.
  tx.note(records);
  return outdated.length;
}

export interface DryRunChange {
  /** Current profiles involved. */
  profiles: string[];
  /** The records concerned, as their sources name them. */
  records: Array<{ source: string; sourceRecordId: string; profileId: string | null }>;
}

export interface DryRunReport {
  records: number;
  currentProfiles: number;
  proposedProfiles: number;
  /** Proposed profiles that would take records from two or more current profiles. */
  merges: DryRunChange[];
  /** Current profiles whose records would end up in two or more profiles. */
  splits: DryRunChange[];
  unchangedProfiles: number;
}

/**
 * What `model` would make of the stored records, compared with the profiles as they are: which
 * profiles would merge and which would split. Reads in one read-only transaction and writes nothing.
 */
export async function dryRun(dataSource: DataSource, model: MatchModel, options: { sources?: string[]; onProgress?(done: number, total: number): void } = {}): Promise<DryRunReport> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SET TRANSACTION READ ONLY`);
    const pop = new Population(model);
    await loadPopulation(manager, pop, (done) => options.onProgress?.(done, done));
    const wanted = options.sources ? new Set(options.sources) : null;
    const slots = pop.liveSlots().filter((s) => !wanted || wanted.has(sourceOf(pop.sortKeyOf(s))));
    const proposed = clusterSlots(pop, slots, new PairScores(pop)).clusters;
    const ref = (s: number) => {
      const sortKey = pop.sortKeyOf(s);
      const at = sortKey.indexOf('\u0000');
      return { source: sortKey.slice(0, at), sourceRecordId: sortKey.slice(at + 1), profileId: pop.profileOf[s] };
    };
    const current = (s: number) => pop.profileOf[s] ?? `none:${pop.idOf(s)}`;
    const merges: DryRunChange[] = [];
    const clusterOf = new Map<number, number>();
    proposed.forEach((cluster, c) => {
      for (const s of cluster) clusterOf.set(s, c);
      const profiles = new Set(cluster.map(current));
      if (profiles.size > 1) merges.push({ profiles: [...profiles].sort(), records: cluster.map(ref) });
    });
    const byProfile = new Map<string, number[]>();
    for (const s of slots) byProfile.set(current(s), [...(byProfile.get(current(s)) ?? []), s]);
    const splits: DryRunChange[] = [];
    let unchanged = 0;
    for (const [profile, members] of byProfile) {
      const targets = new Set(members.map((m) => clusterOf.get(m)));
      if (targets.size > 1) splits.push({ profiles: [profile], records: members.map(ref) });
      else if (proposed[[...targets][0] as number].length === members.length) unchanged++;
    }
    return { records: slots.length, currentProfiles: byProfile.size, proposedProfiles: proposed.length, merges, splits, unchangedProfiles: unchanged };
  });
}

function sourceOf(sortKey: string): string {
  return sortKey.slice(0, sortKey.indexOf('\u0000'));
}
