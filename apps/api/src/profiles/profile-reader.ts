import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { StoredProfile } from '@tandem/governance';
import { expandEvidence, expandLineage } from '@tandem/profiles';
import { QueryBatcher } from './query-batcher';
import { ReadConnection } from './read-connection';

/** A profile id that no longer names a live profile. */
export type ProfileRedirect = { status: 'merged'; mergedInto: string | null } | { status: 'erased' | 'retired' };

/** Golden keys whose values are JSON (lists of contact points); the others are strings. */
const JSON_KEYS = new Set(['emails', 'phones', 'sourceRecords']);

/** A key of the golden record, safe to name in SQL. */
const GOLDEN_KEY = /^[A-Za-z][A-Za-z0-9]{0,39}$/;

/**
 * Queries running at once for each kind of single-profile read. One, as for the audit log: at 16
 * connections it measured about half the PostgreSQL CPU per lookup of two or four (larger batches,
 * fewer round trips) and the most lookups per second, with a lower p99.
 */
const BATCHES_IN_FLIGHT = 1;
/** Reads in one query at most. */
const BATCH_SIZE = 64;

/**
 * What a single-profile read needs of the profile: the golden keys its policy can show and, only
 * when the policy shows lineage, the lineage. A lookup for email marketing reads five short values,
 * not the whole golden record and its lineage as JSON to be written by PostgreSQL and parsed here.
 */
export interface ProfileView {
  goldenKeys: readonly string[];
  lineage: boolean;
}

/** The single-profile reads of one view, each batched. */
interface ViewReads {
  byIds: QueryBatcher<string, Array<StoredProfile | ProfileRedirect>>;
  byIdentifiers: QueryBatcher<[string, string], StoredProfile[]>;
  bySourceRecords: QueryBatcher<[string, string], StoredProfile[]>;
}

/** Distinct consent lists kept parsed at most; past that they are parsed anew. */
const MAX_CONSENT_LISTS = 1000;

/** Views kept at most (one per role set × purpose in use); past that they are built anew. */
const MAX_VIEWS = 64;

/**
 * The read side of the profile tables. Runs on its own pg pool (`ReadConnection`) with named
 * (prepared) statements. Single-profile reads (the API's hottest path) are batched per view:
 * concurrent reads of one kind share one query (`QueryBatcher`), each input keyed by its position.
 */
@Injectable()
export class ProfileReader {
  private readonly pool: Pool;
  private readonly views = new Map<string, ViewReads>();
  /** The reads of each view object already seen (a policy's view is made once), without building its name again. */
  private readonly viewObjects = new WeakMap<ProfileView, ViewReads>();
  private readonly consentLists = new Map<string, StoredProfile['consents']>();

  constructor(@Inject(ReadConnection) connection: ReadConnection) {
    this.pool = connection.pool;
  }

  async byId(id: string, view: ProfileView): Promise<StoredProfile | ProfileRedirect | undefined> {
    return (await this.reads(view).byIds.load(id))[0];
  }

  /** Live profiles holding an identifier (normally one; more when an identifier is shared). */
  byIdentifier(type: string, value: string, view: ProfileView): Promise<StoredProfile[]> {
    return this.reads(view).byIdentifiers.load([type, value]);
  }

  bySourceRecord(source: string, sourceRecordId: string, view: ProfileView): Promise<StoredProfile[]> {
    return this.reads(view).bySourceRecords.load([source, sourceRecordId]);
  }

  private reads(view: ProfileView): ViewReads {
    const seen = this.viewObjects.get(view);
    if (seen) return seen;
    const reads = this.readsByName(view);
    this.viewObjects.set(view, reads);
    return reads;
  }

  private readsByName(view: ProfileView): ViewReads {
    const keys = view.goldenKeys.filter((key) => GOLDEN_KEY.test(key));
    const name = `${keys.join(',')}${view.lineage ? '+lineage' : ''}`;
    let reads = this.views.get(name);
    if (reads) return reads;
    // Attributes are strings: read as text (->>); contact points and source records are arrays (->).
    const columns = `p.id, p.status, p.version, p.updated_at, p.merged_into, ${view.lineage ? 'p.lineage' : 'NULL::jsonb AS lineage'},
      ${keys.map((key, i) => `p.golden ${JSON_KEYS.has(key) ? '->' : '->>'} '${key}' AS g${i},`).join(' ')} p.consents`;
    // Each kind's text is the same for every batch of the view: its statement's name is made once.
    const names = new Map<string, string>();
    const batch = (kind: string, text: string, values: unknown[], inputs: number) => {
      let statement = names.get(kind);
      if (statement === undefined) names.set(kind, (statement = statementName(kind, text)));
      return this.batch(statement, text, values, inputs, keys);
    };
    reads = {
      byIds: new QueryBatcher(
        (ids) => batch('profiles-by-id', `SELECT t.ord, ${columns} FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, ord) JOIN profiles p ON p.id = t.id`, [ids], ids.length),
        BATCHES_IN_FLIGHT,
        BATCH_SIZE,
      ),
      // LATERAL: each input keeps its own plan on the (type, value) index, and its own limit.
      byIdentifiers: new QueryBatcher(
        (inputs) =>
          batch(
            'profiles-by-identifier',
            `SELECT t.ord, p.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(type, value, ord)
               CROSS JOIN LATERAL (SELECT ${columns} FROM profiles p
                                    WHERE p.id IN (SELECT i.profile_id FROM identifiers i WHERE i.type = t.type AND i.value = t.value)
                                      AND p.status = 'active'
                                    ORDER BY p.id LIMIT 5) p`,
            [inputs.map((k) => k[0]), inputs.map((k) => k[1])],
            inputs.length,
          ).then((found) => found.map(live)),
        BATCHES_IN_FLIGHT,
        BATCH_SIZE,
      ),
      bySourceRecords: new QueryBatcher(
        (inputs) =>
          batch(
            'profiles-by-source-record',
            `SELECT t.ord, ${columns} FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(source, record_id, ord)
               JOIN source_records sr ON sr.source = t.source AND sr.source_record_id = t.record_id AND NOT sr.deleted
               JOIN profiles p ON p.id = sr.profile_id AND p.status = 'active'`,
            [inputs.map((k) => k[0]), inputs.map((k) => k[1])],
            inputs.length,
          ).then((found) => found.map(live)),
        BATCHES_IN_FLIGHT,
        BATCH_SIZE,
      ),
    };
    if (this.views.size >= MAX_VIEWS) this.views.clear();
    this.views.set(name, reads);
    return reads;
  }

  /** Runs a batch query whose rows carry `ord`, the 1-based position of their input; rows grouped per input. */
  private async batch(name: string, text: string, values: unknown[], inputs: number, keys: readonly string[]): Promise<Array<Array<StoredProfile | ProfileRedirect>>> {
    const { rows } = await this.pool.query({ name, text, values });
    const out: Array<Array<StoredProfile | ProfileRedirect>> = Array.from({ length: inputs }, () => []);
    for (const row of rows) out[Number(row.ord) - 1].push(toProfile(row, keys));
    return out;
  }

  /**
   * The live profiles holding each of `values` (identifiers of one type, in index order): rows of
   * [index into values, profile id], in order. A value nobody holds has no row.
   */
  async profilesOfIdentifiers(type: string, values: string[]): Promise<Array<[number, string]>> {
    if (values.length === 0) return [];
    // LATERAL keeps the plan on the (type, value) index: a hash join would read the whole table per chunk.
    // The index carries the profile (identifiers.profile_id): an index-only read, no source record.
    // Normalized identifiers hold no line break: sent as lines of text, not as arrays, whose every
    // element pg quotes and escapes here and PostgreSQL parses there (in profiles, about 5% of the
    // API's CPU on an audience). One type per query: no column of types to send.
    const asLines = !values.some(hasLineBreak);
    const { rows } = await this.pool.query<[number, string]>({
      name: asLines ? 'audience-identifiers-of-type-lines' : 'audience-identifiers-of-type',
      text: `SELECT t.ord::int, i.profile_id
               FROM unnest(${asLines ? `string_to_array($2::text, E'\\n')` : '$2::text[]'}) WITH ORDINALITY AS t(value, ord)
               CROSS JOIN LATERAL (SELECT i.profile_id FROM identifiers i WHERE i.type = $1 AND i.value = t.value LIMIT 1000) i`,
      values: [type, asLines ? values.join('\n') : values],
      rowMode: 'array',
    });
    for (const row of rows) row[0]--;
    return rows;
  }

  /** The profile of each source record (in index order): rows of [index into the inputs, profile id]. */
  async profilesOfRecords(sources: string[], recordIds: string[]): Promise<Array<[number, string]>> {
    if (recordIds.length === 0) return [];
    const { rows } = await this.pool.query<[number, string]>({
      name: 'audience-records-ordinal',
      text: `SELECT t.ord::int, sr.profile_id
               FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(source, record_id, ord)
               CROSS JOIN LATERAL (SELECT profile_id FROM source_records s
                                    WHERE s.source = t.source AND s.source_record_id = t.record_id AND NOT s.deleted AND s.profile_id IS NOT NULL) sr`,
      values: [sources, recordIds],
      rowMode: 'array',
    });
    for (const row of rows) row[0]--;
    return rows;
  }

  /**
   * Live profiles by id for audiences, in one index-driven query: only the golden keys asked for
   * (the policy's attributes and the channel's contact points), and the consent rows.
   */
  async audienceProfiles(ids: string[], goldenKeys: readonly string[]): Promise<StoredProfile[]> {
    if (ids.length === 0) return [];
    const keys = goldenKeys.filter((key) => GOLDEN_KEY.test(key));
    // Consent is on the profile row (profiles.consents, written with profile_consents), read as text:
    // most people share one of a few consent lists, each parsed once (this.consentLists).
    // Attributes are strings: read as text (->>), no JSON to parse here or to write there. Of a list
    // of contact points only the best one is used (bestContact: the first with a value): it is read
    // as text when the first element has one, the list as JSON only when it does not.
    const columns = keys.map((key, i) => {
      if (!JSON_KEYS.has(key)) return `p.golden ->> '${key}' AS g${i}, NULL AS b${i}`;
      const first = `(p.golden -> '${key}' -> 0)`;
      // (jsonb_typeof first: `-> 0` of a scalar is the scalar itself, where bestContact finds nothing.)
      const best = `(CASE WHEN jsonb_typeof(p.golden -> '${key}') = 'array' THEN
                       CASE jsonb_typeof(${first}) WHEN 'string' THEN NULLIF(${first} #>> '{}', '')
                         WHEN 'object' THEN CASE WHEN jsonb_typeof(${first} -> 'value') = 'string' THEN NULLIF(${first} ->> 'value', '') END END END)`;
      return `CASE WHEN ${best} IS NULL THEN p.golden -> '${key}' END AS g${i}, ${best} AS b${i}`;
    });
    // The ids as one text (joined here, split there), not a pg array literal quoted element by element.
    const query = {
      name: '',
      text: `SELECT p.id, p.version, ${columns.map((c) => `${c},`).join(' ')} p.consents::text AS consents
               FROM profiles p WHERE p.id = ANY(string_to_array($1::text, ',')::uuid[]) AND p.status = 'active'`,
      values: [ids.join(',')],
      rowMode: 'array' as const,
    };
    query.name = statementName('audience-profiles', query.text);
    const { rows } = await this.pool.query<unknown[]>(query);
    const out: StoredProfile[] = new Array(rows.length);
    const consentsAt = 2 + 2 * keys.length;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as unknown[];
      const golden: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const best = row[3 + 2 * i];
        if (best !== null) golden[keys[i]] = [best];
        else if (row[2 + 2 * i] !== null) golden[keys[i]] = row[2 + 2 * i];
      }
      out[r] = { id: row[0] as string, version: row[1] as number, updatedAt: '', golden, lineage: {}, consents: this.consentList(row[consentsAt] as string) };
    }
    return out;
  }

  /** A profile's consent rows from their JSON text, parsed once per distinct text (frozen: shared by every profile holding it). */
  private consentList(text: string): StoredProfile['consents'] {
    let list = this.consentLists.get(text);
    if (!list) {
      list = Object.freeze((JSON.parse(text) as StoredProfile['consents']).map((row) => Object.freeze(row))) as StoredProfile['consents'];
      if (this.consentLists.size >= MAX_CONSENT_LISTS) this.consentLists.clear();
      this.consentLists.set(text, list);
    }
    return list;
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
      evidence: expandEvidence(r.evidence),
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

function live(found: Array<StoredProfile | ProfileRedirect>): StoredProfile[] {
  return found.filter((p): p is StoredProfile => 'golden' in p);
}

function toProfile(row: Record<string, unknown>, keys: readonly string[]): StoredProfile | ProfileRedirect {
  if (row.status === 'merged') return { status: 'merged', mergedInto: row.merged_into as string | null };
  if (row.status === 'erased' || row.status === 'retired') return { status: row.status };
  const golden: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) if (row[`g${i}`] !== null) golden[keys[i]] = row[`g${i}`];
  return {
    id: row.id as string,
    version: row.version as number,
    updatedAt: row.updated_at as Date,
    golden,
    // Stored compact (see @tandem/profiles stored-forms); null when the policy does not show lineage.
    lineage: expandLineage(row.lineage) as Record<string, unknown>,
    consents: row.consents as StoredProfile['consents'],
  };
}

/**
 * A prepared statement's name: its kind and a digest of its text. PostgreSQL cuts names at 63
 * characters, and names that spelled out the golden keys of a view outgrew that: two views alike
 * in their first 63 characters (an audience by email and one by phone for one policy) collided.
 */
function statementName(kind: string, text: string): string {
  return `${kind}:${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
}

function hasLineBreak(value: string): boolean {
  return value.includes('\n');
}
