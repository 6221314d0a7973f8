import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { MatchModel } from '@tandem/identity-engine';
import type { AttributeLineage, ProfileChange } from '@tandem/persistence';
import { lockResolution } from './resolution-locks';
import { clusterNeighbourhood, MAX_KEY_RECORDS, pairKey, PairScorer, SMALL_BLOCK, type NeighbourhoodClusters, type PairConstraints, type ScoredPair } from './cluster-neighbourhood';
import { hubModel, identifierKey, RecordNormalizer, type ResolvedRecord, type StoredRecord } from './record-model';
import { survivorship } from './survivorship';

/** Beyond this many records (plus 10 per seed) a neighbourhood stops growing (a guard against runaway chains). */
const MAX_NEIGHBOURHOOD = 2000;

/** Normalized record versions kept between resolutions (most records are read again as neighbours). */
const CACHE_RECORDS = 200_000;

export interface ResolveRequest {
  /** Records whose content changed (or were deleted): their identifiers and blocking keys are rewritten. */
  changed: readonly string[];
  /** Those of `changed` stored for the first time: they have no index rows to delete yet. */
  created?: readonly string[];
  /** Further records to re-cluster with their neighbourhood (stewardship, rebuild). */
  seeds?: readonly string[];
}

export interface ResolveOutcome {
  profilesCreated: number;
  profilesChanged: number;
  profilesRetired: number;
  records: number;
}

interface ProfileRow {
  id: string;
  status: string;
  version: number;
  golden: Record<string, unknown>;
  lineage: Record<string, AttributeLineage>;
  record_count: number;
}

interface RecordRow {
  id: string;
  source: string;
  source_record_id: string;
  record_version: string;
  occurred_at: Date;
  attributes: Record<string, string | undefined>;
  identifiers: Array<{ type: string; value: string; verified?: boolean }>;
  profile_id: string | null;
  deleted: boolean;
}

interface PendingProfile {
  id: string;
  version: number;
  golden: unknown;
  lineage: unknown;
  count: number;
  isNew: boolean;
}

/**
 * Incremental identity resolution inside the caller's transaction, under the resolution lock (see
 * lockResolution). For the changed records it rewrites their index keys, then finds the closed
 * neighbourhood of records linked to them (through the identifier and blocking indexes, profile
 * membership and steward constraints) and re-clusters the whole neighbourhood with the engine. Because
 * a neighbourhood is always re-clustered as a whole, in (source, record id) order, the profiles never
 * depend on the order records arrived in. Writes profiles, memberships, links with evidence, review
 * items, consent and outbox rows.
 */
export class ProfileResolver {
  readonly normalizer: RecordNormalizer;
  private readonly cache = new Map<string, ResolvedRecord>();

  constructor(readonly model: MatchModel = hubModel()) {
    this.normalizer = new RecordNormalizer(model);
  }

  async resolve(manager: EntityManager, request: ResolveRequest): Promise<ResolveOutcome> {
    await lockResolution(manager);
    const changed = [...new Set(request.changed)];
    const changedRows = changed.length ? await this.loadRows(manager, changed) : [];
    const live = changedRows.filter((r) => !r.deleted).map((r) => this.toResolved(r));
    const created = new Set(request.created);
    await this.rewriteKeys(
      manager,
      changed.filter((id) => !created.has(id)),
      live,
    );
    const formerProfiles = changedRows.map((r) => r.profile_id).filter((p): p is string => p !== null);
    const deleted = changedRows.filter((r) => r.deleted).map((r) => r.id);
    if (deleted.length) await manager.query(`UPDATE source_records SET profile_id = NULL WHERE id = ANY($1::uuid[]) AND profile_id IS NOT NULL`, [deleted]);
    const seeds = [...live.map((r) => r.stored.id), ...(request.seeds ?? [])];
    // Under the resolution lock nothing changes what is read: one pass finds the closed neighbourhood.
    const hood = await this.neighbourhood(manager, seeds, formerProfiles, MAX_NEIGHBOURHOOD + 10 * seeds.length);
    const result = clusterNeighbourhood([...hood.records.values()], hood.scorer, hood.constraints);
    result.review.push(...hood.review);
    return this.write(manager, result, new Set([...hood.profiles, ...formerProfiles]), hood);
  }

  /** Normalizes a stored row, reusing the work for an unchanged version. */
  toResolved(row: RecordRow): ResolvedRecord {
    const key = `${row.id}@${row.record_version}`;
    const hit = this.cache.get(key);
    // A copy: the cached record is shared by concurrent resolutions (ingest and stewardship), its profile is not.
    if (hit) return { ...hit, stored: { ...hit.stored, profileId: row.profile_id } };
    const stored: StoredRecord = {
      id: row.id,
      source: row.source,
      sourceRecordId: row.source_record_id,
      occurredAt: new Date(row.occurred_at).toISOString(),
      attributes: row.attributes ?? {},
      identifiers: row.identifiers ?? [],
      profileId: row.profile_id,
    };
    const resolved = this.normalizer.resolve(stored);
    if (this.cache.size >= CACHE_RECORDS) {
      // Maps iterate in insertion order: the oldest tenth goes.
      let drop = CACHE_RECORDS / 10;
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (--drop === 0) break;
      }
    }
    this.cache.set(key, resolved);
    return { ...resolved, stored: { ...stored } };
  }

  async loadRows(manager: EntityManager, ids: readonly string[]): Promise<RecordRow[]> {
    return manager.query(
      `SELECT id, source, source_record_id, record_version, occurred_at, attributes, identifiers, profile_id, deleted FROM source_records WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** Deletes the identifier and blocking-key rows of the `stale` records, then writes those of the `live` ones. */
  async rewriteKeys(manager: EntityManager, stale: readonly string[], live: readonly ResolvedRecord[]): Promise<void> {
    if (stale.length) {
      await manager.query(`DELETE FROM identifiers WHERE record_id = ANY($1::uuid[])`, [stale]);
      await manager.query(`DELETE FROM blocking_keys WHERE record_id = ANY($1::uuid[])`, [stale]);
    }
    const ids = live.flatMap((r) => r.identifiers.map((i) => [i.type, i.value, r.stored.id, Boolean(i.verified)] as const));
    if (ids.length) {
      await manager.query(
        `INSERT INTO identifiers (type, value, record_id, verified)
         SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::boolean[]) ON CONFLICT DO NOTHING`,
        [ids.map((x) => x[0]), ids.map((x) => x[1]), ids.map((x) => x[2]), ids.map((x) => x[3])],
      );
    }
    const keys = live.flatMap((r) => r.keyHashes.map((k) => [k, r.stored.id] as const));
    if (keys.length) {
      await manager.query(`INSERT INTO blocking_keys (key, record_id) SELECT * FROM unnest($1::bigint[], $2::uuid[]) ON CONFLICT DO NOTHING`, [
        keys.map((x) => x[0]),
        keys.map((x) => x[1]),
      ]);
    }
  }

  /**
   * The closed neighbourhood of the seeds: every record reachable through links scored above the link
   * threshold, steward must-links and shared profile membership.
   *
   * Only the seeds are looked up in the identifier and blocking indexes and scored: their content is
   * new. Every other record is unchanged, and so are its scores with other unchanged records: a link it
   * has is either inside its profile (members are read) or one the clustering refused, which is kept in
   * the review queue (followed here). So the closure costs a lookup per seed, not per neighbour.
   */
  private async neighbourhood(manager: EntityManager, seeds: readonly string[], formerProfiles: readonly string[], limit: number): Promise<Neighbourhood> {
    const records = new Map<string, ResolvedRecord>();
    const mustLink = new Set<string>();
    const doNotLink = new Set<string>();
    const constraints: PairConstraints = { mustLink, doNotLink };
    const scorer = new PairScorer(this.model, constraints);
    const profiles = new Set<string>(formerProfiles);
    const seenProfiles = new Set<string>();
    const boundary: ScoredPair[] = [];
    let search = await this.load(manager, [...new Set(seeds)], records);
    // Members of the seeds' former profiles (a changed or deleted record may split its profile).
    let frontier = [...search, ...(await this.profileMembers(manager, formerProfiles, records, seenProfiles))];
    while (frontier.length && records.size < limit) {
      const next: ResolvedRecord[] = [];
      const ids = frontier.map((r) => r.stored.id);
      const rows: Array<{ record_a: string; record_b: string; kind: string }> = await manager.query(
        `SELECT record_a, record_b, kind FROM link_constraints WHERE record_a = ANY($1::uuid[]) OR record_b = ANY($1::uuid[])`,
        [ids],
      );
      const partners: string[] = [];
      for (const c of rows) {
        const key = pairKey(c.record_a, c.record_b);
        if (c.kind === 'must-link') {
          mustLink.add(key);
          partners.push(c.record_a, c.record_b);
        } else doNotLink.add(key);
      }
      const refused: Array<{ record_a: string; record_b: string }> = await manager.query(
        // Two index lookups: with OR, PostgreSQL scanned every open item.
        `SELECT record_a, record_b FROM review_queue WHERE record_a = ANY($1::uuid[]) AND status = 'open' AND score >= $2
         UNION ALL
         SELECT record_a, record_b FROM review_queue WHERE record_b = ANY($1::uuid[]) AND status = 'open' AND score >= $2`,
        [ids, scorer.linkScore - 0.01],
      );
      for (const c of refused) partners.push(c.record_a, c.record_b);
      next.push(...(await this.load(manager, [...new Set(partners)].filter((p) => !records.has(p)), records)));
      const scoring = search;
      search = [];
      const candidates = await this.candidates(manager, scoring);
      const worth = new Map(scoring.map((f) => [f, worthScoring(f, candidates)]));
      const unknown = [...new Set([...worth.values()].flat())].filter((id) => !records.has(id));
      const loaded = new Map<string, ResolvedRecord>();
      for (const r of await this.load(manager, unknown, new Map())) loaded.set(r.stored.id, r);
      for (const [f, ids] of worth) {
        for (const id of ids) {
          if (records.has(id)) continue;
          const c = loaded.get(id);
          if (!c) continue;
          const result = scorer.score(f, c);
          if (result.score < scorer.linkScore) {
            if (result.score >= scorer.reviewScore) boundary.push({ a: f, b: c, result });
            continue;
          }
          records.set(id, c);
          next.push(c);
        }
      }
      for (const r of frontier) if (r.stored.profileId) profiles.add(r.stored.profileId);
      next.push(...(await this.profileMembers(manager, [...profiles], records, seenProfiles)));
      for (const r of next) if (r.stored.profileId) profiles.add(r.stored.profileId);
      frontier = next;
    }
    for (const r of records.values()) if (r.stored.profileId) profiles.add(r.stored.profileId);
    // Uncertain pairs with records outside the neighbourhood (a link would have brought them in).
    const review = boundary.filter((p) => !records.has(p.b.stored.id) || !records.has(p.a.stored.id));
    return { records, profiles, constraints, review, scorer };
  }

  private async load(manager: EntityManager, ids: readonly string[], into: Map<string, ResolvedRecord>): Promise<ResolvedRecord[]> {
    if (ids.length === 0) return [];
    return this.read(manager, `id = ANY($1::uuid[]) AND NOT deleted`, ids, into);
  }

  private async profileMembers(manager: EntityManager, profileIds: readonly string[], into: Map<string, ResolvedRecord>, seen: Set<string>): Promise<ResolvedRecord[]> {
    const fresh = profileIds.filter((p) => !seen.has(p));
    if (fresh.length === 0) return [];
    for (const p of fresh) seen.add(p);
    return this.read(manager, `profile_id = ANY($1::uuid[]) AND NOT deleted`, fresh, into);
  }

  /**
   * The live records matching `where`, normalized, skipping those already in `into`. Versions and
   * profiles are read first; attributes and identifiers only for versions not normalized before.
   */
  private async read(manager: EntityManager, where: string, ids: readonly string[], into: Map<string, ResolvedRecord>): Promise<ResolvedRecord[]> {
    const heads: Array<{ id: string; record_version: string; profile_id: string | null }> = await manager.query(
      `SELECT id, record_version, profile_id FROM source_records WHERE ${where}`,
      [ids],
    );
    const out: ResolvedRecord[] = [];
    const missing: string[] = [];
    for (const h of heads) {
      if (into.has(h.id)) continue;
      const hit = this.cache.get(`${h.id}@${h.record_version}`);
      if (!hit) {
        missing.push(h.id);
        continue;
      }
      const r = { ...hit, stored: { ...hit.stored, profileId: h.profile_id } };
      into.set(h.id, r);
      out.push(r);
    }
    if (missing.length === 0) return out;
    for (const row of await this.loadRows(manager, missing)) {
      if (into.has(row.id)) continue;
      const r = this.toResolved(row);
      into.set(row.id, r);
      out.push(r);
    }
    return out;
  }

  /** Record ids per lookup key (see lookupKeys) of the frontier; a key carried by too many records is dropped. */
  private async candidates(manager: EntityManager, frontier: readonly ResolvedRecord[]): Promise<Map<string, string[]>> {
    const idTypes: string[] = [];
    const idValues: string[] = [];
    const blocking = new Set<string>();
    const seenIds = new Set<string>();
    for (const r of frontier) {
      for (const i of r.identifiers) {
        const k = `${i.type}=${i.value}`;
        if (seenIds.has(k)) continue;
        seenIds.add(k);
        idTypes.push(i.type);
        idValues.push(i.value);
      }
      for (const k of r.keyHashes) blocking.add(k);
    }
    const out = new Map<string, string[]>();
    const limit = MAX_KEY_RECORDS + 1;
    if (idTypes.length) {
      const rows: Array<{ t: string; v: string; record_id: string }> = await manager.query(
        `SELECT q.t, q.v, c.record_id FROM unnest($1::text[], $2::text[]) AS q(t, v)
           CROSS JOIN LATERAL (SELECT record_id FROM identifiers i WHERE i.type = q.t AND i.value = q.v LIMIT ${limit}) c`,
        [idTypes, idValues],
      );
      for (const row of rows) push(out, `id:${row.t}=${row.v}`, row.record_id);
    }
    if (blocking.size) {
      // Keys over the limit are dropped here rather than sent over.
      const rows: Array<{ k: string; ids: string[] }> = await manager.query(
        `SELECT q.k::text AS k, c.ids FROM unnest($1::bigint[]) AS q(k)
           CROSS JOIN LATERAL (SELECT array_agg(record_id) AS ids FROM (SELECT record_id FROM blocking_keys b WHERE b.key = q.k LIMIT ${limit}) x) c
          WHERE cardinality(c.ids) <= ${MAX_KEY_RECORDS}`,
        [[...blocking]],
      );
      for (const row of rows) out.set(row.k, row.ids);
    }
    for (const [k, list] of out) if (list.length > MAX_KEY_RECORDS) out.delete(k);
    return out;
  }

  /** Gives every cluster a profile id, then writes what changed. */
  private async write(manager: EntityManager, result: NeighbourhoodClusters, lockedProfiles: Set<string>, hood: Neighbourhood): Promise<ResolveOutcome> {
    const outcome: ResolveOutcome = { profilesCreated: 0, profilesChanged: 0, profilesRetired: 0, records: hood.records.size };
    const oldIds = [...lockedProfiles].sort();
    const existing = new Map<string, ProfileRow>();
    if (oldIds.length) {
      const rows: ProfileRow[] = await manager.query(`SELECT id, status, version, golden, lineage, record_count FROM profiles WHERE id = ANY($1::uuid[])`, [oldIds]);
      for (const row of rows) existing.set(row.id, row);
    }
    const oldMembers = new Map<string, Set<string>>();
    for (const r of hood.records.values()) {
      if (!r.stored.profileId) continue;
      const set = oldMembers.get(r.stored.profileId) ?? new Set<string>();
      set.add(r.stored.id);
      oldMembers.set(r.stored.profileId, set);
    }
    // Each old profile id goes to the cluster holding most of its records (ties: smaller id, earlier cluster).
    const overlaps: Array<{ cluster: number; profile: string; count: number }> = [];
    result.clusters.forEach((cluster, c) => {
      const counts = new Map<string, number>();
      for (const r of cluster) if (r.stored.profileId && existing.get(r.stored.profileId)?.status === 'active') counts.set(r.stored.profileId, (counts.get(r.stored.profileId) ?? 0) + 1);
      for (const [profile, count] of counts) overlaps.push({ cluster: c, profile, count });
    });
    overlaps.sort((x, y) => y.count - x.count || (x.profile < y.profile ? -1 : x.profile > y.profile ? 1 : 0) || x.cluster - y.cluster);
    const assigned = new Map<number, string>();
    const taken = new Set<string>();
    for (const o of overlaps) {
      if (assigned.has(o.cluster) || taken.has(o.profile)) continue;
      assigned.set(o.cluster, o.profile);
      taken.add(o.profile);
    }
    const outbox: Array<{ profileId: string; change: ProfileChange; payload: unknown }> = [];
    const pending: PendingProfile[] = [];
    const membership: Array<[string, string]> = [];
    const clusterOf = new Map<string, string>();
    const touched: string[] = [];
    const now = new Date().toISOString();
    result.clusters.forEach((cluster, c) => {
      const isNew = !assigned.has(c);
      const id = assigned.get(c) ?? randomUUID();
      for (const r of cluster) clusterOf.set(r.stored.id, id);
      const fromProfiles = [...new Set(cluster.map((r) => r.stored.profileId).filter((p): p is string => p !== null && p !== id))].sort();
      const moved = cluster.filter((r) => r.stored.profileId !== id);
      for (const r of moved) membership.push([r.stored.id, id]);
      const { golden, lineage } = survivorship(cluster);
      const prior = existing.get(id);
      const lostMembers = [...(oldMembers.get(id) ?? [])].some((m) => !cluster.some((r) => r.stored.id === m)) || (prior !== undefined && prior.record_count !== cluster.length);
      const goldenChanged = !prior || canonical(prior.golden) !== canonical(golden) || canonical(prior.lineage) !== canonical(lineage);
      if (!isNew && moved.length === 0 && !lostMembers && !goldenChanged) return;
      touched.push(id);
      const version = (prior?.version ?? 0) + 1;
      const mergedFrom = fromProfiles.filter((p) => !result.clusters.some((other, o) => o !== c && assigned.get(o) === p));
      const change: ProfileChange = isNew ? 'created' : mergedFrom.length ? 'merged' : lostMembers ? 'split' : 'updated';
      if (isNew) outcome.profilesCreated++;
      else outcome.profilesChanged++;
      pending.push({ id, version, golden, lineage, count: cluster.length, isNew });
      outbox.push({
        profileId: id,
        change,
        payload: { change, profileId: id, version, status: 'active', ...(mergedFrom.length ? { mergedFrom } : {}), ...(isNew && fromProfiles.length ? { splitFrom: fromProfiles } : {}), changedAt: now },
      });
    });
    // Old profiles that no cluster kept: merged into the cluster that took most of their records, or retired.
    for (const id of oldIds) {
      const row = existing.get(id);
      if (!row || row.status !== 'active' || taken.has(id)) continue;
      const members = [...(oldMembers.get(id) ?? [])];
      const counts = new Map<string, number>();
      for (const m of members) {
        const target = clusterOf.get(m);
        if (target) counts.set(target, (counts.get(target) ?? 0) + 1);
      }
      const into = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0] ?? null;
      const version = row.version + 1;
      await manager.query(`UPDATE profiles SET status = $2, merged_into = $3, record_count = 0, version = $4, updated_at = now() WHERE id = $1`, [id, into ? 'merged' : 'retired', into, version]);
      await manager.query(`DELETE FROM profile_links WHERE profile_id = $1`, [id]);
      await manager.query(`DELETE FROM profile_consents WHERE profile_id = $1`, [id]);
      outcome.profilesRetired++;
      outbox.push({
        profileId: id,
        change: into ? 'merged' : 'updated',
        payload: { change: into ? 'merged' : 'updated', profileId: id, version, status: into ? 'merged' : 'retired', mergedInto: into, changedAt: now },
      });
    }
    await this.flushProfiles(manager, pending);
    if (membership.length) {
      await manager.query(`UPDATE source_records s SET profile_id = m.p FROM unnest($1::uuid[], $2::uuid[]) AS m(r, p) WHERE s.id = m.r`, [
        membership.map((m) => m[0]),
        membership.map((m) => m[1]),
      ]);
    }
    if (touched.length) {
      await this.writeLinks(manager, touched, result, clusterOf);
      await this.writeConsents(manager, touched);
    }
    await this.writeReview(manager, result, [...hood.records.keys()]);
    if (outbox.length) {
      await manager.query(`INSERT INTO profile_outbox (profile_id, change, payload) SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`, [
        outbox.map((o) => o.profileId),
        outbox.map((o) => o.change),
        outbox.map((o) => JSON.stringify(o.payload)),
      ]);
    }
    return outcome;
  }

  private async flushProfiles(manager: EntityManager, rows: readonly PendingProfile[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO profiles (id, status, version, golden, lineage, record_count)
       SELECT id, 'active', v, g, l, c FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, v int, g jsonb, l jsonb, c int)
       ON CONFLICT (id) DO UPDATE SET status = 'active', merged_into = NULL, version = EXCLUDED.version, golden = EXCLUDED.golden,
         lineage = EXCLUDED.lineage, record_count = EXCLUDED.record_count, updated_at = now()`,
      // One JSON document rather than arrays of JSON texts: the driver would escape every quote of every element.
      [JSON.stringify(rows.map((r) => ({ id: r.id, v: r.version, g: r.golden, l: r.lineage, c: r.count })))],
    );
  }

  private async writeLinks(manager: EntityManager, touched: readonly string[], result: NeighbourhoodClusters, clusterOf: Map<string, string>): Promise<void> {
    await manager.query(`DELETE FROM profile_links WHERE profile_id = ANY($1::uuid[])`, [touched]);
    const wanted = new Set(touched);
    const links = result.links.filter((l) => wanted.has(clusterOf.get(l.a.stored.id) ?? ''));
    if (links.length === 0) return;
    const ordered = links.map((l) => (l.a.stored.id < l.b.stored.id ? [l.a.stored.id, l.b.stored.id, l] : [l.b.stored.id, l.a.stored.id, l]) as [string, string, (typeof links)[number]]);
    await manager.query(
      `INSERT INTO profile_links (record_a, record_b, profile_id, score, rule, evidence)
       SELECT a, b, p, s, r, e FROM jsonb_to_recordset($1::jsonb) AS t(a uuid, b uuid, p uuid, s real, r text, e jsonb)
       ON CONFLICT (record_a, record_b) DO UPDATE SET profile_id = EXCLUDED.profile_id, score = EXCLUDED.score, rule = EXCLUDED.rule, evidence = EXCLUDED.evidence`,
      [JSON.stringify(ordered.map(([a, b, l]) => ({ a, b, p: clusterOf.get(a), s: l.result.score, r: l.result.rule, e: l.result.evidence })))],
    );
  }

  /** Most restrictive wins: suppressed over withdrawn over granted, per channel and purpose. */
  private async writeConsents(manager: EntityManager, touched: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM profile_consents WHERE profile_id = ANY($1::uuid[])`, [touched]);
    await manager.query(
      `INSERT INTO profile_consents (profile_id, channel, purpose, status)
       SELECT s.profile_id, c.channel, c.purpose,
              (ARRAY['granted', 'withdrawn', 'suppressed'])[max(CASE c.status WHEN 'granted' THEN 1 WHEN 'withdrawn' THEN 2 ELSE 3 END)]
         FROM record_consents c JOIN source_records s ON s.id = c.record_id
        WHERE s.profile_id = ANY($1::uuid[]) AND NOT s.deleted
        GROUP BY s.profile_id, c.channel, c.purpose`,
      [touched],
    );
  }

  private async writeReview(manager: EntityManager, result: NeighbourhoodClusters, neighbourhood: readonly string[]): Promise<void> {
    // Pairs that now sit in one profile need no review any more.
    if (neighbourhood.length) {
      await manager.query(
        `UPDATE review_queue q SET status = 'obsolete' FROM source_records a, source_records b
          WHERE q.status = 'open' AND q.record_a = ANY($1::uuid[]) AND a.id = q.record_a AND b.id = q.record_b AND a.profile_id = b.profile_id`,
        [neighbourhood],
      );
    }
    if (result.review.length === 0) return;
    const unique = new Map(result.review.map((r) => [pairKey(r.a.stored.id, r.b.stored.id), r]));
    const rows = [...unique.values()].map((r) => (r.a.stored.id < r.b.stored.id ? [r.a.stored.id, r.b.stored.id, r] : [r.b.stored.id, r.a.stored.id, r]) as [string, string, (typeof result.review)[number]]);
    await manager.query(
      `INSERT INTO review_queue (record_a, record_b, score, rule, evidence)
       SELECT a, b, s, r, e FROM jsonb_to_recordset($1::jsonb) AS t(a uuid, b uuid, s real, r text, e jsonb)
       ON CONFLICT (record_a, record_b) DO UPDATE SET status = 'open', score = EXCLUDED.score, rule = EXCLUDED.rule, evidence = EXCLUDED.evidence
         WHERE review_queue.status = 'obsolete'`,
      [JSON.stringify(rows.map(([a, b, item]) => ({ a, b, s: item.result.score, r: item.result.rule, e: item.result.evidence })))],
    );
  }
}

interface Neighbourhood {
  records: Map<string, ResolvedRecord>;
  review: ScoredPair[];
  profiles: Set<string>;
  constraints: PairConstraints;
  /** The scores computed while exploring, reused by the clustering. */
  scorer: PairScorer;
}

/** The candidates of a record worth scoring: those sharing an identifier, a blocking key of a small block (see SMALL_BLOCK), or two blocking keys. */
function worthScoring(r: ResolvedRecord, candidates: Map<string, string[]>): string[] {
  const out = new Set<string>();
  const shared = new Map<string, number>();
  for (const id of r.identifiers) for (const c of candidates.get(identifierKey(id)) ?? []) out.add(c);
  for (const key of r.keyHashes) {
    const list = candidates.get(key) ?? [];
    for (const c of list) {
      if (list.length <= SMALL_BLOCK) out.add(c);
      else shared.set(c, (shared.get(c) ?? 0) + 1);
    }
  }
  for (const [c, n] of shared) if (n >= 2) out.add(c);
  out.delete(r.stored.id);
  return [...out];
}

/** The keys a record is looked up by: its identifiers, and its blocking keys' hashes. */
function lookupKeys(r: ResolvedRecord): string[] {
  return [...r.identifiers.map(identifierKey), ...r.keyHashes];
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** JSON with object keys sorted: PostgreSQL's jsonb does not keep key order, so plain JSON.stringify would see changes that are not there. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
