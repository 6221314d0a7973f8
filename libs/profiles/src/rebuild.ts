import { readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';
import { assertMatchModel, type MatchModel } from '@tandem/identity-engine';
import { clusterNeighbourhood, pairKey, PairScorer, type PairConstraints } from './cluster-neighbourhood';
import { ProfileResolver } from './profile-resolver';
import { lockResolution } from './resolution-locks';
import { hubModel, type ResolvedRecord } from './record-model';

/** Reads a model JSON file (as `npm run er` or a training run writes it), or the hub's default model. */
export function loadModel(file?: string, overrides: { link?: number; review?: number } = {}): MatchModel {
  let model: MatchModel = hubModel();
  if (file) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    assertMatchModel(parsed);
    model = parsed;
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
}

const ROW_COLUMNS = `id, source, source_record_id, record_version, occurred_at, attributes, identifiers, profile_id, deleted`;

/**
 * Recomputes every profile from the stored source records (not from Kafka): first every record's
 * identifiers and blocking keys under `model`, then every neighbourhood, chunk by chunk, each chunk in
 * its own transaction under the resolution lock like the streaming resolver, so it can run beside it.
 */
export async function rebuildProfiles(dataSource: DataSource, model: MatchModel, options: { chunk?: number; sources?: string[]; onProgress?(p: RebuildProgress): void } = {}): Promise<RebuildResult> {
  const resolver = new ProfileResolver(model);
  const chunk = options.chunk ?? 2000;
  const ids: string[] = (
    await dataSource.query(`SELECT id FROM source_records WHERE NOT deleted AND ($1::text[] IS NULL OR source = ANY($1::text[])) ORDER BY id`, [options.sources ?? null])
  ).map((r: { id: string }) => r.id);
  const result: RebuildResult = { records: ids.length, profilesCreated: 0, profilesChanged: 0, profilesRetired: 0 };
  for (let i = 0; i < ids.length; i += chunk) {
    const slice = ids.slice(i, i + chunk);
    await dataSource.transaction(async (manager) => {
      await lockResolution(manager);
      const rows = await resolver.loadRows(manager, slice);
      await resolver.rewriteKeys(manager, slice, rows.filter((r) => !r.deleted).map((r) => resolver.toResolved(r)));
    });
    options.onProgress?.({ phase: 'keys', done: Math.min(i + chunk, ids.length), total: ids.length });
  }
  for (let i = 0; i < ids.length; i += chunk) {
    const slice = ids.slice(i, i + chunk);
    const outcome = await dataSource.transaction((manager) => resolver.resolve(manager, { changed: [], seeds: slice }));
    result.profilesCreated += outcome.profilesCreated;
    result.profilesChanged += outcome.profilesChanged;
    result.profilesRetired += outcome.profilesRetired;
    options.onProgress?.({ phase: 'profiles', done: Math.min(i + chunk, ids.length), total: ids.length });
  }
  return result;
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
    const resolver = new ProfileResolver(model);
    const rows = await manager.query(
      `SELECT ${ROW_COLUMNS} FROM source_records WHERE NOT deleted AND ($1::text[] IS NULL OR source = ANY($1::text[]))`,
      [options.sources ?? null],
    );
    const records: ResolvedRecord[] = [];
    for (let i = 0; i < rows.length; i++) {
      records.push(resolver.toResolved(rows[i]));
      if (i % 5000 === 0) options.onProgress?.(i, rows.length);
    }
    options.onProgress?.(rows.length, rows.length);
    const constraintRows: Array<{ record_a: string; record_b: string; kind: string }> = await manager.query(`SELECT record_a, record_b, kind FROM link_constraints`);
    const constraints: PairConstraints = {
      mustLink: new Set(constraintRows.filter((c) => c.kind === 'must-link').map((c) => pairKey(c.record_a, c.record_b))),
      doNotLink: new Set(constraintRows.filter((c) => c.kind === 'do-not-link').map((c) => pairKey(c.record_a, c.record_b))),
    };
    const proposed = clusterNeighbourhood(records, new PairScorer(model, constraints), constraints);
    const ref = (r: ResolvedRecord) => ({ source: r.stored.source, sourceRecordId: r.stored.sourceRecordId, profileId: r.stored.profileId });
    const merges: DryRunChange[] = [];
    const clusterOf = new Map<string, number>();
    proposed.clusters.forEach((cluster, c) => {
      for (const r of cluster) clusterOf.set(r.stored.id, c);
      const current = new Set(cluster.map((r) => r.stored.profileId ?? `none:${r.stored.id}`));
      if (current.size > 1) merges.push({ profiles: [...current].sort(), records: cluster.map(ref) });
    });
    const byProfile = new Map<string, ResolvedRecord[]>();
    for (const r of records) {
      const key = r.stored.profileId ?? `none:${r.stored.id}`;
      byProfile.set(key, [...(byProfile.get(key) ?? []), r]);
    }
    const splits: DryRunChange[] = [];
    let unchanged = 0;
    for (const [profile, members] of byProfile) {
      const targets = new Set(members.map((m) => clusterOf.get(m.stored.id)));
      if (targets.size > 1) splits.push({ profiles: [profile], records: members.map(ref) });
      else if (proposed.clusters[[...targets][0] as number].length === members.length) unchanged++;
    }
    return { records: records.length, currentProfiles: byProfile.size, proposedProfiles: proposed.clusters.length, merges, splits, unchangedProfiles: unchanged };
  });
}
