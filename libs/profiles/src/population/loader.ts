import type { EntityManager } from 'typeorm';
import type { Population, RecordState } from './population';

/** A source_records row as the population reads it. */
export interface RecordRow {
  id: string;
  source: string;
  source_record_id: string;
  record_version: string;
  occurred_at: Date | string;
  deleted: boolean;
  attributes: Record<string, string | undefined> | null;
  identifiers: Array<{ type: string; value: string; verified?: boolean }> | null;
  profile_id: string | null;
  has_consents: boolean;
}

const ROW_COLUMNS = `s.id, s.source, s.source_record_id, s.record_version, s.occurred_at, s.deleted, s.attributes, s.identifiers, s.profile_id,
  EXISTS (SELECT 1 FROM record_consents c WHERE c.record_id = s.id) AS has_consents`;

export function rowState(row: RecordRow): RecordState {
  return {
    id: row.id,
    source: row.source,
    sourceRecordId: row.source_record_id,
    version: Number(row.record_version),
    occurredAt: row.occurred_at instanceof Date ? row.occurred_at.toISOString() : new Date(row.occurred_at).toISOString(),
    deleted: row.deleted,
    attributes: row.attributes ?? {},
    identifiers: row.identifiers ?? [],
    profileId: row.deleted ? null : row.profile_id,
    hasConsents: row.has_consents,
  };
}

/**
 * Reads every stored source record into an empty population, with the steward constraints, the open
 * review items and which profiles hold consent, in one snapshot (the caller's transaction should be
 * REPEATABLE READ so the log position read with it matches). Reads in pages through a cursor.
 */
export async function loadPopulation(manager: EntityManager, pop: Population, onProgress?: (records: number) => void): Promise<void> {
  await manager.query(`DECLARE population_rows NO SCROLL CURSOR FOR SELECT ${ROW_COLUMNS} FROM source_records s`);
  let loaded = 0;
  for (;;) {
    const rows: RecordRow[] = await manager.query(`FETCH 20000 FROM population_rows`);
    if (rows.length === 0) break;
    for (const row of rows) pop.stage(rowState(row));
    pop.commitStaged();
    loaded += rows.length;
    onProgress?.(loaded);
  }
  await manager.query(`CLOSE population_rows`);
  pop.packIndex();
  await loadPairs(manager, pop, null);
  const consents: Array<{ profile_id: string }> = await manager.query(`SELECT DISTINCT profile_id FROM profile_consents`);
  for (const { profile_id } of consents) {
    const p = pop.profiles.get(profile_id);
    if (p) p.consents = true;
  }
}

/**
 * Brings the given records up to date from the database (the catch-up on another writer's changes):
 * a new version is staged and committed in place of the old, a moved record changes profile, a record
 * that is gone is forgotten; their constraints and review items are read again.
 */
export async function refreshRecords(manager: EntityManager, pop: Population, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows: RecordRow[] = await manager.query(`SELECT ${ROW_COLUMNS} FROM source_records s WHERE s.id = ANY($1::uuid[])`, [ids]);
  const found = new Set<string>();
  const profiles = new Set<string>();
  for (const row of rows) {
    found.add(row.id);
    const state = rowState(row);
    if (state.profileId) profiles.add(state.profileId);
    const slot = pop.slotOfKey(`${state.source}\u0000${state.sourceRecordId}`);
    if (slot !== undefined && !state.deleted && pop.isAlive(slot) && pop.version(slot) === state.version && pop.idOf(slot) === state.id) {
      const before = pop.profileOf[slot];
      if (before) profiles.add(before);
      pop.moveTo(slot, state.profileId);
      pop.setConsents(slot, state.hasConsents);
      continue;
    }
    if (slot !== undefined && pop.profileOf[slot]) profiles.add(pop.profileOf[slot] as string);
    pop.stage(state);
  }
  pop.commitStaged();
  for (const id of ids) {
    if (found.has(id)) continue;
    const slot = pop.slotOfId(id);
    if (slot !== undefined) {
      if (pop.profileOf[slot]) profiles.add(pop.profileOf[slot] as string);
      pop.forget(slot);
    }
  }
  for (const id of ids) forgetPairs(pop, id);
  await loadPairs(manager, pop, ids);
  const withConsents: Array<{ profile_id: string }> = profiles.size
    ? await manager.query(`SELECT DISTINCT profile_id FROM profile_consents WHERE profile_id = ANY($1::uuid[])`, [[...profiles]])
    : [];
  const consenting = new Set(withConsents.map((r) => r.profile_id));
  for (const id of profiles) {
    const p = pop.profiles.get(id);
    if (p) p.consents = consenting.has(id);
  }
}

/**
 * Loads into an empty population the records that a re-clustering of `seeds` can reach without the key
 * index (a process that keeps no population, such as the API's stewardship): their profiles' members,
 * steward must-links and refused links, transitively. Unchanged records need no candidate search (see
 * planResolution), so this is their whole neighbourhood.
 */
export async function loadClosure(manager: EntityManager, pop: Population, seeds: readonly string[]): Promise<void> {
  let pending = [...new Set(seeds)];
  const seen = new Set<string>();
  while (pending.length > 0) {
    for (const id of pending) seen.add(id);
    await refreshRecords(manager, pop, pending);
    const next = new Set<string>();
    const profileIds = [...new Set(pending.map((id) => pop.slotOfId(id)).map((s) => (s === undefined ? null : pop.profileOf[s])).filter((p): p is string => p !== null))];
    if (profileIds.length) {
      const members: Array<{ id: string }> = await manager.query(`SELECT id FROM source_records WHERE profile_id = ANY($1::uuid[]) AND NOT deleted`, [profileIds]);
      for (const { id } of members) if (!seen.has(id)) next.add(id);
    }
    for (const id of pending) {
      for (const partners of [pop.mustLinks.get(id), pop.refused.get(id)]) for (const other of partners ?? []) if (!seen.has(other)) next.add(other);
    }
    pending = [...next];
  }
}

/** Adds constraints and open review items, households among them (all of them, or those touching `ids`). */
async function loadPairs(manager: EntityManager, pop: Population, ids: readonly string[] | null): Promise<void> {
  const where = ids ? `(record_a = ANY($1::uuid[]) OR record_b = ANY($1::uuid[]))` : 'true';
  const params = ids ? [ids] : [];
  const constraints: Array<{ record_a: string; record_b: string; kind: string }> = await manager.query(
    `SELECT record_a, record_b, kind FROM link_constraints WHERE ${where}`,
    params,
  );
  for (const c of constraints) addPair(c.kind === 'must-link' ? pop.mustLinks : pop.doNotLinks, c.record_a, c.record_b);
  const review: Array<{ record_a: string; record_b: string; score: number }> = await manager.query(
    `SELECT record_a, record_b, score FROM review_queue WHERE status IN ('open', 'household') AND ${where}`,
    params,
  );
  for (const r of review) noteReviewItem(pop, r.record_a, r.record_b, r.score);
}

/** Records an open review item; one scored as a link (the clustering kept its records apart) is followed by the closure. */
export function noteReviewItem(pop: Population, a: string, b: string, score: number): void {
  addPair(pop.openReview, a, b);
  if (score >= pop.scorer.linkScore - 0.01) addPair(pop.refused, a, b);
}

export function addPair(map: Map<string, Set<string>>, a: string, b: string): void {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ]) {
    const set = map.get(x);
    if (set) set.add(y);
    else map.set(x, new Set([y]));
  }
}

export function removePair(map: Map<string, Set<string>>, a: string, b: string): void {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ]) {
    const set = map.get(x);
    if (!set) continue;
    set.delete(y);
    if (set.size === 0) map.delete(x);
  }
}

function forgetPairs(pop: Population, id: string): void {
  for (const map of [pop.mustLinks, pop.doNotLinks, pop.openReview, pop.refused]) {
    for (const other of map.get(id) ?? []) removePair(map, id, other);
  }
}
