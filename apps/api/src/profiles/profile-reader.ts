import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { StoredProfile } from '@tandem/governance';

/** A profile id that no longer names a live profile. */
export type ProfileRedirect = { status: 'merged'; mergedInto: string | null } | { status: 'erased' | 'retired' };

const PROFILE_COLUMNS = `p.id, p.status, p.version, p.updated_at, p.golden, p.lineage, p.merged_into,
  (SELECT COALESCE(json_agg(json_build_object('channel', c.channel, 'purpose', c.purpose, 'status', c.status)), '[]'::json)
     FROM profile_consents c WHERE c.profile_id = p.id) AS consents`;

/**
 * The read side of the profile tables, one round trip per question. Runs on the pg pool under the
 * DataSource with named (prepared) statements: the lookup is the API's hottest path.
 */
@Injectable()
export class ProfileReader {
  private readonly pool: Pool;

  constructor(@Inject(DataSource) db: DataSource) {
    this.pool = (db.driver as unknown as { master: Pool }).master;
  }

  async byId(id: string): Promise<StoredProfile | ProfileRedirect | undefined> {
    const { rows } = await this.pool.query({ name: 'profile-by-id', text: `SELECT ${PROFILE_COLUMNS} FROM profiles p WHERE p.id = $1`, values: [id] });
    return rows[0] ? toProfile(rows[0]) : undefined;
  }

  /** Live profiles holding an identifier (normally one; more when an identifier is shared). */
  async byIdentifier(type: string, value: string): Promise<StoredProfile[]> {
    const { rows } = await this.pool.query({
      name: 'profile-by-identifier',
      text: `SELECT ${PROFILE_COLUMNS} FROM profiles p
              WHERE p.id IN (SELECT sr.profile_id FROM identifiers i JOIN source_records sr ON sr.id = i.record_id
                              WHERE i.type = $1 AND i.value = $2 AND NOT sr.deleted)
                AND p.status = 'active'
              ORDER BY p.id LIMIT 5`,
      values: [type, value],
    });
    return rows.map(toProfile).filter((p): p is StoredProfile => 'golden' in p);
  }

  async bySourceRecord(source: string, sourceRecordId: string): Promise<StoredProfile[]> {
    const { rows } = await this.pool.query({
      name: 'profile-by-source-record',
      text: `SELECT ${PROFILE_COLUMNS} FROM profiles p
              WHERE p.id = (SELECT profile_id FROM source_records WHERE source = $1 AND source_record_id = $2 AND NOT deleted)
                AND p.status = 'active'`,
      values: [source, sourceRecordId],
    });
    return rows.map(toProfile).filter((p): p is StoredProfile => 'golden' in p);
  }

  /** For each input position, the distinct live profiles its identifier belongs to. */
  async profilesOfIdentifiers(types: string[], values: string[], positions: number[]): Promise<Map<number, string[]>> {
    if (positions.length === 0) return new Map();
    // LATERAL keeps the plan on the (type, value) index: a hash join would read the whole table per chunk.
    const { rows } = await this.pool.query({
      name: 'audience-identifiers',
      text: `SELECT t.ord, sr.profile_id
               FROM unnest($1::text[], $2::text[], $3::int[]) AS t(type, value, ord)
               CROSS JOIN LATERAL (SELECT i.record_id FROM identifiers i WHERE i.type = t.type AND i.value = t.value LIMIT 1000) i
               JOIN source_records sr ON sr.id = i.record_id AND NOT sr.deleted AND sr.profile_id IS NOT NULL`,
      values: [types, values, positions],
    });
    return groupByPosition(rows);
  }

  /** For each input position, the profile of the source record. */
  async profilesOfRecords(sources: string[], recordIds: string[], positions: number[]): Promise<Map<number, string[]>> {
    if (positions.length === 0) return new Map();
    const { rows } = await this.pool.query({
      name: 'audience-records',
      text: `SELECT t.ord, sr.profile_id
               FROM unnest($1::text[], $2::text[], $3::int[]) AS t(source, record_id, ord)
               CROSS JOIN LATERAL (SELECT profile_id FROM source_records s
                                    WHERE s.source = t.source AND s.source_record_id = t.record_id AND NOT s.deleted AND s.profile_id IS NOT NULL) sr`,
      values: [sources, recordIds, positions],
    });
    return groupByPosition(rows);
  }

  /** Live profiles by id for audiences: golden record and consent only, in two index-driven queries. */
  async audienceProfiles(ids: string[]): Promise<StoredProfile[]> {
    if (ids.length === 0) return [];
    const [profiles, consents] = await Promise.all([
      this.pool.query({ name: 'audience-profiles', text: `SELECT id, version, updated_at, golden FROM profiles WHERE id = ANY($1::uuid[]) AND status = 'active'`, values: [ids] }),
      this.pool.query({ name: 'audience-consents', text: `SELECT profile_id, channel, purpose, status FROM profile_consents WHERE profile_id = ANY($1::uuid[])`, values: [ids] }),
    ]);
    const byProfile = new Map<string, StoredProfile['consents']>();
    for (const c of consents.rows) {
      const list = byProfile.get(c.profile_id) ?? [];
      list.push({ channel: c.channel, purpose: c.purpose, status: c.status });
      byProfile.set(c.profile_id, list);
    }
    return profiles.rows.map((row) => ({ id: row.id, version: row.version, updatedAt: row.updated_at, golden: row.golden, lineage: {}, consents: byProfile.get(row.id) ?? [] }));
  }

  /** Which of these keyed hashes are on the erasure suppression list. */
  async erasedKeys(keys: Buffer[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.pool.query({ name: 'erased-keys', text: `SELECT key_hash FROM erasure_suppressions WHERE key_hash = ANY($1::bytea[])`, values: [keys] });
    return new Set(rows.map((r) => (r.key_hash as Buffer).toString('hex')));
  }

  /** The links inside a profile, with the evidence that made them. */
  async links(profileId: string): Promise<unknown[]> {
    const { rows } = await this.pool.query({
      name: 'profile-links',
      text: `SELECT a.source AS a_source, a.source_record_id AS a_id, b.source AS b_source, b.source_record_id AS b_id,
                    l.score, l.rule, l.evidence, l.created_at
               FROM profile_links l JOIN source_records a ON a.id = l.record_a JOIN source_records b ON b.id = l.record_b
              WHERE l.profile_id = $1 AND a.profile_id = $1 AND b.profile_id = $1
              ORDER BY a.source, a.source_record_id, b.source, b.source_record_id`,
      values: [profileId],
    });
    return rows.map((r) => ({
      a: { source: r.a_source, sourceRecordId: r.a_id },
      b: { source: r.b_source, sourceRecordId: r.b_id },
      score: r.score,
      rule: r.rule,
      evidence: r.evidence,
      linkedAt: (r.created_at as Date).toISOString(),
    }));
  }

  /** Every identifier of every live record of the profile. */
  async identifiers(profileId: string): Promise<unknown[]> {
    const { rows } = await this.pool.query({
      name: 'profile-identifiers',
      text: `SELECT i.type, i.value, i.verified, sr.source, sr.source_record_id
               FROM source_records sr JOIN identifiers i ON i.record_id = sr.id
              WHERE sr.profile_id = $1 AND NOT sr.deleted ORDER BY i.type, i.value, sr.source, sr.source_record_id`,
      values: [profileId],
    });
    return rows.map((r) => ({ type: r.type, value: r.value, verified: r.verified, source: r.source, sourceRecordId: r.source_record_id }));
  }
}

function toProfile(row: Record<string, unknown>): StoredProfile | ProfileRedirect {
  if (row.status === 'merged') return { status: 'merged', mergedInto: row.merged_into as string | null };
  if (row.status === 'erased' || row.status === 'retired') return { status: row.status };
  return {
    id: row.id as string,
    version: row.version as number,
    updatedAt: row.updated_at as Date,
    golden: row.golden as Record<string, unknown>,
    lineage: row.lineage as Record<string, unknown>,
    consents: row.consents as StoredProfile['consents'],
  };
}

function groupByPosition(rows: Array<{ ord: number; profile_id: string }>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const row of rows) {
    const list = out.get(row.ord);
    if (!list) out.set(row.ord, [row.profile_id]);
    else if (!list.includes(row.profile_id)) list.push(row.profile_id);
  }
  return out;
}
