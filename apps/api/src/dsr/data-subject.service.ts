import { ConflictException, GoneException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditWriter, suppressErased, SuppressionSubject } from '@tandem/governance';
import { currentCorrelationId } from '@tandem/observability';
import { appendResolutionLog, expandEvidence, expandLineage, lockResolution } from '@tandem/profiles';
import type { Principal } from '../auth/principal';
import { GovernanceKeys } from '../governance/governance-keys';

/** What an erasure did in one connector's data (a connector = a source system). */
export interface ConnectorErasure {
  source: string;
  sourceRecords: number;
  /** Record ids in the source system: the data office asks each system to erase them there too. */
  sourceRecordIds: string[];
  identifiers: number;
  consents: number;
  suppressionKeys: number;
  /** Dead letters of these records deleted (their payloads held the person). */
  deadLetters: number;
  /** Connector state rows blanked (the ERP connector's copy of the customer). */
  connectorState: number;
  /** Orders deleted from the connector's order store. */
  orders: number;
}

export interface ErasureReport {
  requestId: string;
  profileId: string;
  erasedAt: string;
  profiles: number;
  links: number;
  reviewItems: number;
  constraints: number;
  outboxPayloadsCleared: number;
  tombstones: number;
  connectors: ConnectorErasure[];
  notes: string[];
}

/**
 * Data subject requests (GDPR art. 15 and 17): export everything held about a person, and erase
 * them everywhere the hub stores them, leaving only keyed hashes that stop re-ingestion.
 */
@Injectable()
export class DataSubjectService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(AuditWriter) private readonly audit: AuditWriter,
    @Inject(GovernanceKeys) private readonly keys: GovernanceKeys,
  ) {}

  async export(principal: Principal, profileId: string): Promise<Record<string, unknown>> {
    const id = await this.live(this.db.manager, profileId);
    const q = (sql: string) => this.db.query(sql, [id]);
    const [profile, records, identifiers, recordConsents, profileConsents, links, reviews, actions, reads, connectorCopies, orders, deadLetters] = await Promise.all([
      q(`SELECT id, status, version, golden, lineage, record_count, created_at, updated_at FROM profiles WHERE id = $1`),
      q(`SELECT id, source, source_record_id, record_version, kind, deleted, identifiers, attributes, occurred_at, created_at, updated_at FROM source_records WHERE profile_id = $1 ORDER BY source, source_record_id`),
      q(`SELECT i.type, i.value, i.verified, sr.source, sr.source_record_id FROM identifiers i JOIN source_records sr ON sr.id = i.record_id WHERE sr.profile_id = $1 ORDER BY i.type, i.value`),
      q(`SELECT sr.source, sr.source_record_id, c.channel, c.purpose, c.status, c.occurred_at FROM record_consents c JOIN source_records sr ON sr.id = c.record_id WHERE sr.profile_id = $1 ORDER BY sr.source, c.channel`),
      q(`SELECT channel, purpose, status, updated_at FROM profile_consents WHERE profile_id = $1 ORDER BY channel, purpose`),
      q(`SELECT a.source AS a_source, a.source_record_id AS a_record, b.source AS b_source, b.source_record_id AS b_record, l.score, l.rule, l.evidence, l.created_at
           FROM profile_links l JOIN source_records a ON a.id = l.record_a JOIN source_records b ON b.id = l.record_b WHERE l.profile_id = $1`),
      q(`SELECT q.id, q.status, q.score, q.rule, q.decided_by, q.reason, q.created_at FROM review_queue q
          WHERE q.record_a IN (SELECT id FROM source_records WHERE profile_id = $1) OR q.record_b IN (SELECT id FROM source_records WHERE profile_id = $1)`),
      q(`SELECT action, actor, reason, created_at FROM stewardship_actions WHERE profile_id = $1 ORDER BY created_at`),
      q(`SELECT at, client_name, action, purpose, fields FROM audit_log WHERE profile_id = $1 OR profile_ids @> ARRAY[$1::uuid] ORDER BY id DESC LIMIT 10000`),
      q(`SELECT e.source, e.customer_id, e.identifiers, e.attributes, e.updated_at FROM erp_customers e
           JOIN source_records sr ON sr.source = e.source AND sr.source_record_id = e.customer_id WHERE sr.profile_id = $1`),
      q(`SELECT o.source, o.order_id, o.placed_at, o.total_cents, o.currency, o.category FROM erp_orders o
           JOIN source_records sr ON sr.source = o.source AND sr.source_record_id = o.customer_id WHERE sr.profile_id = $1 AND NOT o.deleted ORDER BY o.placed_at`),
      q(`SELECT d.id, d.source, d.source_record_id, d.reason, d.failed_at FROM dead_letters d
           JOIN source_records sr ON sr.source = d.source AND sr.source_record_id = d.source_record_id WHERE sr.profile_id = $1`),
    ]);
    await this.audit.record({
      clientId: principal.clientId,
      clientName: principal.clientName,
      action: 'profile.export',
      purpose: 'data-subject-request',
      profileId: id,
      fields: ['*'],
      correlationId: currentCorrelationId(),
    });
    return {
      exportedAt: new Date().toISOString(),
      profile: profile[0] && { ...profile[0], lineage: expandLineage(profile[0].lineage) },
      sourceRecords: records,
      identifiers,
      consents: { byRecord: recordConsents, profile: profileConsents },
      links: links.map((l: Record<string, unknown>) => ({ ...l, evidence: expandEvidence(l.evidence) })),
      reviewItems: reviews,
      stewardshipActions: actions,
      reads,
      connectorCopies,
      orders,
      deadLetters,
    };
  }

  async erase(principal: Principal, profileId: string, reason: string): Promise<ErasureReport> {
    const requestId = randomUUID();
    const report = await this.withDeadlockRetry(() => this.db.transaction((manager) => this.eraseIn(manager, profileId, requestId, reason, principal)));
    await this.audit.record({
      clientId: principal.clientId,
      clientName: principal.clientName,
      action: 'profile.erased',
      purpose: 'data-subject-request',
      profileId: report.profileId,
      fields: [],
      correlationId: currentCorrelationId(),
      detail: { requestId, connectors: report.connectors.map(({ source, sourceRecords, identifiers }) => ({ source, sourceRecords, identifiers })) },
    });
    return report;
  }

  private async eraseIn(manager: EntityManager, requested: string, requestId: string, reason: string, principal: Principal): Promise<ErasureReport> {
    // The resolution lock first, as every writer of profiles takes it: nothing merges the profile away meanwhile.
    await lockResolution(manager);
    const profileId = await this.live(manager, requested);
    const [{ status }] = await manager.query(`SELECT status FROM profiles WHERE id = $1 FOR UPDATE`, [profileId]);
    if (status !== 'active') throw new ConflictException(`profile ${requested} changed while being erased (now ${status}); retry`);

    const records: Array<{ id: string; source: string; source_record_id: string }> = await manager.query(
      `SELECT id, source, source_record_id FROM source_records WHERE profile_id = $1`,
      [profileId],
    );
    const recordIds = records.map((r) => r.id);
    const identifiers: Array<{ record_id: string; type: string; value: string }> = await manager.query(
      `SELECT record_id, type, value FROM identifiers WHERE record_id = ANY($1::uuid[])`,
      [recordIds],
    );
    const consentCounts: Array<{ record_id: string; n: string }> = await manager.query(
      `SELECT record_id, count(*) AS n FROM record_consents WHERE record_id = ANY($1::uuid[]) GROUP BY record_id`,
      [recordIds],
    );

    const subjects: SuppressionSubject[] = records.map((r) => ({
      source: r.source,
      sourceRecordId: r.source_record_id,
      identifiers: identifiers.filter((i) => i.record_id === r.id),
    }));
    await suppressErased(manager, this.keys.erasureSalt, requestId, subjects);

    const count = async (sql: string, params: unknown[]) => ((await manager.query(sql, params)) as [unknown[], number])[1];
    const links = await count(`DELETE FROM profile_links WHERE profile_id = $1 OR record_a = ANY($2::uuid[]) OR record_b = ANY($2::uuid[])`, [profileId, recordIds]);
    const pairsOf = async (sql: string) => ((await manager.query(sql, [recordIds])) as [Array<{ record_a: string; record_b: string }>, number])[0];
    const reviewPairs = await pairsOf(`DELETE FROM review_queue WHERE record_a = ANY($1::uuid[]) OR record_b = ANY($1::uuid[]) RETURNING record_a, record_b`);
    const constraintPairs = await pairsOf(`DELETE FROM link_constraints WHERE record_a = ANY($1::uuid[]) OR record_b = ANY($1::uuid[]) RETURNING record_a, record_b`);
    const reviewItems = reviewPairs.length;
    const constraints = constraintPairs.length;
    await manager.query(`DELETE FROM stewardship_actions WHERE profile_id = $1 OR record_a = ANY($2::uuid[]) OR record_b = ANY($2::uuid[])`, [profileId, recordIds]);
    await manager.query(`DELETE FROM identifiers WHERE record_id = ANY($1::uuid[])`, [recordIds]);
    // Record consents go with their records (ON DELETE CASCADE).
    await manager.query(`DELETE FROM source_records WHERE id = ANY($1::uuid[])`, [recordIds]);
    await manager.query(`DELETE FROM profile_consents WHERE profile_id = $1`, [profileId]);
    // What the connectors keep of the person: dead letters (raw payloads), the ERP connector's
    // customer state (blanked, its keys and revision kept so versions stay monotonic) and orders.
    const refs = [records.map((r) => r.source), records.map((r) => r.source_record_id)];
    const sourcesOf = async (sql: string) => ((await manager.query(sql, refs)) as [Array<{ source: string }>, number])[0].map((r) => r.source);
    const deadLetters = await sourcesOf(
      `DELETE FROM dead_letters d USING unnest($1::text[], $2::text[]) AS t(source, record_id)
        WHERE d.source = t.source AND d.source_record_id = t.record_id RETURNING d.source`,
    );
    const connectorState = await sourcesOf(
      `UPDATE erp_customers e SET identifiers = '[]'::jsonb, attributes = '{}'::jsonb, updated_at = now()
         FROM unnest($1::text[], $2::text[]) AS t(source, record_id)
        WHERE e.source = t.source AND e.customer_id = t.record_id RETURNING e.source`,
    );
    const orders = await sourcesOf(
      `DELETE FROM erp_orders o USING unnest($1::text[], $2::text[]) AS t(source, record_id)
        WHERE o.source = t.source AND o.customer_id = t.record_id RETURNING o.source`,
    );

    // Profiles merged into this one carried the same person's data.
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [erasedProfiles]: [Array<{ id: string }>, number] = await manager.query(
      `WITH RECURSIVE chain AS (SELECT id FROM profiles WHERE id = $1 UNION SELECT p.id FROM profiles p JOIN chain c ON p.merged_into = c.id)
       UPDATE profiles SET status = 'erased', golden = '{}'::jsonb, lineage = '{}'::jsonb, consents = '[]'::jsonb, record_count = 0, version = version + 1, updated_at = now()
        WHERE id IN (SELECT id FROM chain) RETURNING id`,
      [profileId],
    );
    const ids = erasedProfiles.map((p) => p.id);
    await manager.query(`DELETE FROM profile_consents WHERE profile_id = ANY($1::uuid[])`, [ids]);
    const outboxPayloadsCleared = await count(`UPDATE profile_outbox SET payload = NULL WHERE profile_id = ANY($1::uuid[]) AND payload IS NOT NULL`, [ids]);
    // A null payload is a tombstone on the compacted change topic: downstream systems drop the key.
    await manager.query(`INSERT INTO profile_outbox (profile_id, change, payload) SELECT unnest($1::uuid[]), 'erased', NULL`, [ids]);

    // Resolver instances forget the records, and re-read the pairs their neighbours had with them.
    await appendResolutionLog(manager, [...recordIds, ...[...reviewPairs, ...constraintPairs].flatMap((p) => [p.record_a, p.record_b])]);

    const bySource = new Map<string, ConnectorErasure>();
    for (const r of records) {
      const entry = bySource.get(r.source) ?? {
        source: r.source,
        sourceRecords: 0,
        sourceRecordIds: [],
        identifiers: 0,
        consents: 0,
        suppressionKeys: 0,
        deadLetters: deadLetters.filter((s) => s === r.source).length,
        connectorState: connectorState.filter((s) => s === r.source).length,
        orders: orders.filter((s) => s === r.source).length,
      };
      entry.sourceRecords++;
      entry.sourceRecordIds.push(r.source_record_id);
      const own = identifiers.filter((i) => i.record_id === r.id);
      entry.identifiers += own.length;
      entry.consents += Number(consentCounts.find((c) => c.record_id === r.id)?.n ?? 0);
      entry.suppressionKeys += 1 + own.filter((i) => !i.type.endsWith('anonymousId')).length;
      bySource.set(r.source, entry);
    }
    const report: ErasureReport = {
      requestId,
      profileId,
      erasedAt: new Date().toISOString(),
      profiles: ids.length,
      links,
      reviewItems,
      constraints,
      outboxPayloadsCleared,
      tombstones: ids.length,
      connectors: [...bySource.values()].sort((a, b) => a.source.localeCompare(b.source)),
      notes: [
        'Source records, identifiers, consents, links, review items, steward decisions, dead letters and connector copies (ERP customer state, orders) of the person are deleted or blanked; the profile keeps only its id and the status erased.',
        'A tombstone (null value) for each erased profile id is on the profile change topic; the compacted topic drops the key after delete.retention.ms.',
        'Keyed hashes of every source record and identifier are on the suppression list: a replay or re-sync of these records is dropped by the resolver.',
        'Raw events on the ingest topic expire with its retention (7 days); each source system must erase its own copy (sourceRecordIds above).',
        'The audit log keeps who read the profile id and when, without personal data.',
      ],
    };
    // Stored without the source record ids: the request's record must not itself hold the person.
    await manager.query(`INSERT INTO erasure_requests (id, profile_id, requested_by, reason, report) VALUES ($1, $2, $3, $4, $5)`, [
      requestId,
      profileId,
      principal.clientId,
      reason,
      JSON.stringify({ ...report, connectors: report.connectors.map(({ sourceRecordIds: _ids, ...rest }) => rest) }),
    ]);
    return report;
  }

  /** Follows merges to the live profile; 404 unknown, 410 erased. */
  private async live(manager: EntityManager, requested: string): Promise<string> {
    let id = requested;
    for (let hop = 0; hop < 10; hop++) {
      const rows: Array<{ status: string; merged_into: string | null }> = await manager.query(`SELECT status, merged_into FROM profiles WHERE id = $1`, [id]);
      if (!rows[0]) throw new NotFoundException(`no profile ${requested}`);
      if (rows[0].status === 'active') return id;
      if (rows[0].status === 'erased') throw new GoneException(`profile ${requested} was already erased`);
      if (rows[0].status !== 'merged' || !rows[0].merged_into) throw new GoneException(`profile ${requested} no longer exists`);
      id = rows[0].merged_into;
    }
    throw new ConflictException(`profile ${requested} is merged through too many steps`);
  }

  private async withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if ((code !== '40P01' && code !== '40001') || attempt >= 3) throw error;
      }
    }
  }
}
