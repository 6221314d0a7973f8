import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ProfileResolver, type ResolutionTransaction } from './profile-resolver';
import { expandEvidence, expandLineage } from './stored-forms';

/** A source record named the way its source names it. */
export interface RecordRef {
  source: string;
  sourceRecordId: string;
}

export interface ReviewItemView {
  id: string;
  status: string;
  score: number;
  rule: string;
  evidence: unknown;
  recordA: RecordRef & { profileId: string | null };
  recordB: RecordRef & { profileId: string | null };
  decidedBy: string | null;
  reason: string | null;
  createdAt: string;
}

/**
 * What a review queue holds, by the rule that queued each pair: a data office facing thousands of
 * items sees what they are (pairs in the probabilistic review band, shared identifiers that may not
 * identify) and can work through one kind at a time with `reviewQueue({ rule })`. Household pairs,
 * which the person-attribute guardrail holds apart, have the status `household`, not `open`.
 */
export interface ReviewQueueSummary {
  status: string;
  total: number;
  byRule: Array<{ rule: string; items: number }>;
}

export interface ProfileView {
  id: string;
  status: string;
  version: number;
  mergedInto: string | null;
  golden: Record<string, unknown>;
  lineage: Record<string, unknown>;
  records: RecordRef[];
  links: Array<{ a: RecordRef; b: RecordRef; score: number; rule: string; evidence: unknown }>;
  consents: Array<{ channel: string; purpose: string; status: string }>;
  /**
   * Other people this profile's records share contact or address details with (a family email, a
   * landline, the flat), held apart by the person-attribute guardrail: per pair, this profile's
   * record, the other one with its profile, and the pair's item (a steward may still accept it).
   */
  household: Array<{ reviewItemId: string; record: RecordRef; other: RecordRef & { profileId: string | null } }>;
}

export interface StewardDecision {
  actor: string;
  reason: string;
}

/**
 * The data steward's use cases: read profiles and the review queue, accept (link) or reject
 * (do-not-link) a review item, unmerge a link. Every decision is stored as a constraint on the pair,
 * so re-clustering, replay and rebuild respect it, and is recorded with who and why.
 */
export class StewardshipService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly resolver: ProfileResolver,
  ) {}

  async profile(id: string): Promise<ProfileView> {
    const rows = await this.dataSource.query(`SELECT id, status, version, merged_into, golden, lineage FROM profiles WHERE id = $1`, [id]);
    if (rows.length === 0) throw new NotFoundException(`profile ${id} not found`);
    const p = rows[0];
    const records: Array<{ id: string; source: string; source_record_id: string }> = await this.dataSource.query(
      `SELECT id, source, source_record_id FROM source_records WHERE profile_id = $1 AND NOT deleted ORDER BY source, source_record_id`,
      [id],
    );
    const refs = new Map(records.map((r) => [r.id, { source: r.source, sourceRecordId: r.source_record_id }]));
    const links: Array<{ record_a: string; record_b: string; score: number; rule: string; evidence: unknown }> = await this.dataSource.query(
      `SELECT record_a, record_b, score, rule, evidence FROM profile_links WHERE profile_id = $1`,
      [id],
    );
    const consents = await this.dataSource.query(`SELECT channel, purpose, status FROM profile_consents WHERE profile_id = $1 ORDER BY channel, purpose`, [id]);
    const household: Array<{ id: string; mine: string; source: string; source_record_id: string; profile_id: string | null }> = await this.dataSource.query(
      `SELECT q.id, CASE WHEN q.record_a = ANY($1::uuid[]) THEN q.record_a ELSE q.record_b END AS mine, o.source, o.source_record_id, o.profile_id
         FROM review_queue q JOIN source_records o ON o.id = CASE WHEN q.record_a = ANY($1::uuid[]) THEN q.record_b ELSE q.record_a END
        WHERE q.status = 'household' AND (q.record_a = ANY($1::uuid[]) OR q.record_b = ANY($1::uuid[])) AND NOT o.deleted
        ORDER BY o.source, o.source_record_id`,
      [[...refs.keys()]],
    );
    return {
      id: p.id,
      status: p.status,
      version: p.version,
      mergedInto: p.merged_into,
      golden: p.golden,
      lineage: expandLineage(p.lineage),
      records: [...refs.values()],
      links: links
        .filter((l) => refs.has(l.record_a) && refs.has(l.record_b))
        .map((l) => ({ a: refs.get(l.record_a)!, b: refs.get(l.record_b)!, score: l.score, rule: l.rule, evidence: expandEvidence(l.evidence) })),
      consents,
      household: household.map((h) => ({ reviewItemId: h.id, record: refs.get(h.mine)!, other: { source: h.source, sourceRecordId: h.source_record_id, profileId: h.profile_id } })),
    };
  }

  /** The profile a source record belongs to now. */
  async profileOfRecord(ref: RecordRef): Promise<ProfileView> {
    const rows = await this.dataSource.query(`SELECT profile_id FROM source_records WHERE source = $1 AND source_record_id = $2`, [ref.source, ref.sourceRecordId]);
    if (rows.length === 0 || !rows[0].profile_id) throw new NotFoundException(`no profile holds ${ref.source}:${ref.sourceRecordId}`);
    return this.profile(rows[0].profile_id);
  }

  /** Review items, oldest first: of one status (default open; `household` for household pairs), with a record of `source`, queued by `rule`. */
  async reviewQueue(options: { status?: string; source?: string; rule?: string; limit?: number } = {}): Promise<ReviewItemView[]> {
    const rows = await this.dataSource.query(
      `SELECT q.id, q.status, q.score, q.rule, q.evidence, q.decided_by, q.reason, q.created_at,
              a.source AS a_source, a.source_record_id AS a_id, a.profile_id AS a_profile,
              b.source AS b_source, b.source_record_id AS b_id, b.profile_id AS b_profile
         FROM review_queue q JOIN source_records a ON a.id = q.record_a JOIN source_records b ON b.id = q.record_b
        WHERE q.status = $1 AND ($2::text IS NULL OR a.source = $2 OR b.source = $2) AND ($3::text IS NULL OR q.rule = $3)
        ORDER BY q.created_at, q.id LIMIT $4`,
      [options.status ?? 'open', options.source ?? null, options.rule ?? null, Math.min(options.limit ?? 100, 1000)],
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: r.id as string,
      status: r.status as string,
      score: r.score as number,
      rule: r.rule as string,
      evidence: expandEvidence(r.evidence),
      recordA: { source: r.a_source as string, sourceRecordId: r.a_id as string, profileId: r.a_profile as string | null },
      recordB: { source: r.b_source as string, sourceRecordId: r.b_id as string, profileId: r.b_profile as string | null },
      decidedBy: r.decided_by as string | null,
      reason: r.reason as string | null,
      createdAt: new Date(r.created_at as string).toISOString(),
    }));
  }

  /** How many review items of one status (default open), with a record of `source`, each rule queued. */
  async reviewQueueSummary(options: { status?: string; source?: string } = {}): Promise<ReviewQueueSummary> {
    const status = options.status ?? 'open';
    const rows: Array<{ rule: string; items: number }> = await this.dataSource.query(
      `SELECT q.rule, count(*)::int AS items
         FROM review_queue q JOIN source_records a ON a.id = q.record_a JOIN source_records b ON b.id = q.record_b
        WHERE q.status = $1 AND ($2::text IS NULL OR a.source = $2 OR b.source = $2)
        GROUP BY q.rule ORDER BY items DESC, q.rule`,
      [status, options.source ?? null],
    );
    return { status, total: rows.reduce((sum, r) => sum + r.items, 0), byRule: rows };
  }

  /** Accept = the two records are one person (must-link); reject = they are not (do-not-link). */
  async decideReview(id: string, decision: 'accept' | 'reject', by: StewardDecision): Promise<ProfileView[]> {
    this.checkDecision(by);
    const seeds = await this.resolver.transaction(this.dataSource, async (tx) => {
      const { manager } = tx;
      const rows = await manager.query(`SELECT record_a, record_b, status FROM review_queue WHERE id = $1 FOR UPDATE`, [id]);
      if (rows.length === 0) throw new NotFoundException(`review item ${id} not found`);
      const item = rows[0];
      if (item.status === 'accepted' || item.status === 'rejected') throw new ConflictException(`review item ${id} was already ${item.status}`);
      await manager.query(`UPDATE review_queue SET status = $2, decided_by = $3, reason = $4, decided_at = now() WHERE id = $1`, [
        id,
        decision === 'accept' ? 'accepted' : 'rejected',
        by.actor,
        by.reason,
      ]);
      await this.constrain(tx, item.record_a, item.record_b, decision === 'accept' ? 'must-link' : 'do-not-link', `review-${decision}`, by);
      await tx.recluster([item.record_a, item.record_b]);
      return [item.record_a, item.record_b] as string[];
    });
    return this.profilesOf(seeds);
  }

  /**
   * Cuts the link between two records of one profile: they may never be in one profile again, and the
   * profile is re-clustered (it splits, and both golden records are recomputed).
   */
  async unmerge(a: RecordRef, b: RecordRef, by: StewardDecision): Promise<ProfileView[]> {
    this.checkDecision(by);
    const ids = await this.resolver.transaction(this.dataSource, async (tx) => {
      const [ra, rb] = [await this.recordId(tx.manager, a), await this.recordId(tx.manager, b)];
      if (ra.id === rb.id) throw new BadRequestException('a record cannot be unmerged from itself');
      if (!ra.profileId || ra.profileId !== rb.profileId) throw new ConflictException('the two records are not in one profile');
      await this.constrain(tx, ra.id, rb.id, 'do-not-link', 'unmerge', by, ra.profileId);
      await tx.recluster([ra.id, rb.id]);
      return [ra.id, rb.id];
    });
    return this.profilesOf(ids);
  }

  private checkDecision(by: StewardDecision): void {
    if (!by.actor?.trim()) throw new BadRequestException('actor is required');
    if (!by.reason?.trim()) throw new BadRequestException('reason is required');
  }

  private async recordId(manager: EntityManager, ref: RecordRef): Promise<{ id: string; profileId: string | null }> {
    const rows = await manager.query(`SELECT id, profile_id FROM source_records WHERE source = $1 AND source_record_id = $2 AND NOT deleted`, [ref.source, ref.sourceRecordId]);
    if (rows.length === 0) throw new NotFoundException(`record ${ref.source}:${ref.sourceRecordId} not found`);
    return { id: rows[0].id, profileId: rows[0].profile_id };
  }

  private async constrain(tx: ResolutionTransaction, x: string, y: string, kind: 'must-link' | 'do-not-link', action: string, by: StewardDecision, profileId: string | null = null): Promise<void> {
    const [a, b] = x < y ? [x, y] : [y, x];
    const { manager } = tx;
    await manager.query(
      `INSERT INTO link_constraints (record_a, record_b, kind, actor, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (record_a, record_b) DO UPDATE SET kind = EXCLUDED.kind, actor = EXCLUDED.actor, reason = EXCLUDED.reason, created_at = now()`,
      [a, b, kind, by.actor, by.reason],
    );
    await manager.query(`INSERT INTO stewardship_actions (action, record_a, record_b, profile_id, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)`, [
      action,
      a,
      b,
      profileId,
      by.actor,
      by.reason,
    ]);
    tx.constrain(a, b, kind);
  }

  private async profilesOf(recordIds: readonly string[]): Promise<ProfileView[]> {
    const rows: Array<{ profile_id: string | null }> = await this.dataSource.query(`SELECT DISTINCT profile_id FROM source_records WHERE id = ANY($1::uuid[])`, [recordIds]);
    const ids = rows.map((r) => r.profile_id).filter((p): p is string => p !== null).sort();
    return Promise.all(ids.map((id) => this.profile(id)));
  }
}
