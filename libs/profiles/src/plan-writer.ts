import { HOUSEHOLD_RULE, type RecordIdentifier } from '@tandem/identity-engine';
import type { AttributeLineage, ProfileChange } from '@tandem/persistence';
import { assignStaged, type Plan, type PlannedCluster, type PlannedPair } from './population/planner';
import type { Population, RecordState } from './population/population';
import { survivorship, type SurvivorshipRecord } from './survivorship';
import { compactEvidence, compactLineage } from './stored-forms';
import { jsonbElements, scalarArray, textArray, uuidArray, uuidArrayLines } from './sql-arrays';
import { OneBufferQuery } from './one-buffer-query';
import { statementName, type PipelineClient, type Queryable, type ResolverTimings } from './resolver-timings';

/** What an event says about a record's consent (the profile takes the most restrictive). */
export interface ConsentStatement {
  channel: string;
  /** '' = every purpose on the channel. */
  purpose: string;
  status: 'granted' | 'withdrawn' | 'suppressed';
  occurredAt: string;
}

/** A staged record with what the database keeps of the event that brought it. */
export interface StagedChange {
  slot: number;
  state: RecordState;
  eventId: string;
  kind: string;
  consents: ConsentStatement[];
  /** The record was stored before (its index rows are rewritten). */
  existed: boolean;
  /** Its identifiers, normalized (none when deleted). */
  identifiers: RecordIdentifier[];
  /**
   * A new version kept in its record's slot (`slot` is the committed one; Population.keep): nothing the
   * matcher reads changed, so its identifier rows and links stay as they are.
   */
  kept?: boolean;
}

export interface WriteOutcome {
  profilesCreated: number;
  profilesChanged: number;
  profilesRetired: number;
  /** Record ids whose stored state, profile, constraints or review items changed (for the resolution log). */
  touchedRecords: string[];
  /** Profiles written (consent flags are recomputed for them). */
  consentProfiles: Map<string, boolean>;
}

/** The database disagrees with the population (a writer that did not append to the resolution log): read it afresh and retry. */
export class PopulationStaleError extends Error {}

/** Thrown when the database did not store records the plan counted on (an erasure guard refused them). */
export class RecordsRefusedError extends Error {
  constructor(readonly keys: string[]) {
    super(`the database refused ${keys.length} source record(s) the resolver planned to store`);
  }
}

const MUST_LINK_RULE = 'steward:must-link';

export interface WriteOptions {
  /** Rewrite every link of the neighbourhood (after a model change), not only new ones and those whose records changed. */
  rewriteLinks?: boolean;
  /** Called once every statement is queued: from then on the plan and the population are no longer read. */
  queued?: () => void;
  /**
   * The transaction's own connection: statements are sent on it in pipeline mode, each the moment it
   * is queued rather than when this process takes the answer to the one before (see Statements).
   * Statement timings then go to `timings` (each from when PostgreSQL could start it to its answer).
   */
  pipeline?: { client: PipelineClient; timings: ResolverTimings };
}

/**
 * Writes a resolution plan in the caller's transaction: source records with their profile, identifiers,
 * record consents, moved memberships, golden records with lineage, links with evidence, profile
 * consents, review items and outbox rows. Statements are set-based: one per table and purpose,
 * whatever the size of the plan.
 *
 * Statements are queued ahead (see Statements): the stored states of members the population does not
 * hold for survivorship (Population.survivorInputs; rarely any) go first, then the
 * records' writes and the other two reads, and while PostgreSQL works through those the golden records
 * are computed and the rest is queued. Nothing waits on a write's result: the profiles' consent and the outbox rows' versions
 * are computed by the statements themselves. Checks on results (a population that disagrees with the
 * database, records the erasure guard refused) are made when everything has been answered.
 */
export async function writePlan(manager: Queryable, pop: Population, plan: Plan, staged: readonly StagedChange[], options: WriteOptions = {}): Promise<WriteOutcome> {
  const sql = new Statements(manager, options.pipeline);
  try {
    return await writeWith(sql, pop, plan, staged, options);
  } catch (error) {
    // A read awaited early fails only because a write queued before it failed (the transaction is
    // aborted): that write's failure is the one to report (a stale population is retried).
    await sql.close();
    throw sql.firstFailure() ?? error;
  } finally {
    // Every statement answered (failed or not) before the connection leaves pipeline mode.
    await sql.close();
  }
}

async function writeWith(sql: Statements, pop: Population, plan: Plan, staged: readonly StagedChange[], options: WriteOptions): Promise<WriteOutcome> {
  const outcome: WriteOutcome = { profilesCreated: 0, profilesChanged: 0, profilesRetired: 0, touchedRecords: [], consentProfiles: new Map() };
  const clusterOf = new Map<number, PlannedCluster>();
  for (const c of plan.clusters) for (const s of c.members) clusterOf.set(s, c);
  assignStaged(pop, plan, staged.filter((c) => !c.kept).map((c) => c.slot));

  // The staged records' identifiers, normalized once (when staged) for the key index, their rows and survivorship.
  const identifiersOf = new Map(staged.filter((c) => !c.state.deleted).map((c) => [c.slot, c.identifiers]));

  // The stored states of members the population does not hold (survivorship waits on them), then the records' writes, which
  // PostgreSQL works through while survivorship runs here (the next statement goes out only when this
  // process takes the answer to the one before, so a quick read there would leave it idle), then the
  // stored golden records and links. None of the reads sees anything written before it: the writes
  // touch the staged records, identifiers, record consents and moved records' profile only.
  const candidates = plan.clusters.filter((c) => c.membershipChanged || c.contentChanged);
  const membersRead = survivorshipInputs(sql, pop, candidates, staged, identifiersOf);
  writeRecords(sql, pop, staged, identifiersOf);
  if (plan.moved.length) {
    const moved = [plan.moved.map((m) => pop.idOf(m.slot)), plan.moved.map((m) => m.profileId)];
    sql.send(`UPDATE source_records s SET profile_id = m.p FROM unnest($1::uuid[], $2::uuid[]) AS m(r, p) WHERE s.id = m.r`, moved);
    // identifiers.profile_id is the record's profile (the API reads identifier → profile without the record).
    sql.send(`UPDATE identifiers i SET profile_id = m.p FROM unnest($1::uuid[], $2::uuid[]) AS m(r, p) WHERE i.record_id = m.r`, moved);
  }
  // Profiles of kept records are not clustered: their links are as stored, so neither read nor written.
  const onlyContent = candidates.filter((c) => !c.membershipChanged).map((c) => c.profileId);
  const storedRead: Promise<Array<{ id: string; g: string }>> = onlyContent.length
    ? sql.send(`SELECT id, jsonb_build_array(golden, lineage)::text AS g FROM profiles WHERE id = ANY($1::uuid[])`, [onlyContent])
    : Promise.resolve([]);
  const existing = candidates.filter((c) => !c.created && !c.kept).map((c) => c.profileId);
  const linksRead: Promise<StoredLink[]> = existing.length
    ? sql.send(`SELECT record_a, record_b, profile_id FROM profile_links WHERE profile_id = ANY($1::uuid[])`, [existing])
    : Promise.resolve([]);
  for (const c of staged) outcome.touchedRecords.push(c.state.id);
  for (const m of plan.moved) outcome.touchedRecords.push(pop.idOf(m.slot));

  // Golden records of the clusters whose membership or content changed.
  const members = await membersRead;
  const golden = new Map(candidates.map((c) => [c, survivorship(c.members.map((s) => members.get(s) as SurvivorshipRecord))]));
  const stored = new Map((await storedRead).map((row) => [row.id, row.g]));
  // Records whose event states consent (a kept record's population flag changes only when the plan is applied).
  const stating = new Set(staged.filter((c) => c.consents.length > 0).map((c) => c.slot));
  const consenting = new Set(staged.filter((c) => c.state.hasConsents).map((c) => c.slot));
  const written = candidates.filter((c) => {
    // A consent statement reaches the profile even when its golden record stays the same.
    if (c.membershipChanged || c.members.some((s) => stating.has(s))) return true;
    const before = stored.get(c.profileId);
    const g = golden.get(c) as { golden: unknown; lineage: Record<string, AttributeLineage> };
    return before === undefined || canonical(JSON.parse(before)) !== canonical([g.golden, compactLineage(g.lineage)]);
  });
  // Consent is recomputed for profiles written when a member or the profile before states any (most restrictive wins).
  const consentClusters = new Set(written.filter((c) => c.members.some((s) => pop.hasConsents(s) || consenting.has(s)) || pop.profiles.get(c.profileId)?.consents));
  const consentsWritten = writeProfiles(sql, pop, written, golden, consentClusters);
  consentsWritten.catch(() => undefined); // a failure surfaces through settled()
  retireProfiles(sql, plan.retired);
  for (const c of written) {
    if (c.created) outcome.profilesCreated++;
    else outcome.profilesChanged++;
  }
  outcome.profilesRetired = plan.retired.length;

  const touched = new Set(written.filter((c) => !c.created && !c.kept).map((c) => c.profileId));
  const linkClusters = new Set(written.filter((c) => !c.kept).map((c) => c.profileId));
  // Links whose records changed are rewritten (their score and evidence may have); after a model change,
  // all of them. A kept record's scores and evidence are what they were.
  const stagedIds = new Set(options.rewriteLinks ? plan.neighbourhood.map((s) => pop.idOf(s)) : staged.filter((c) => !c.kept).map((c) => c.state.id));
  const storedLinks = (await linksRead).filter((row) => touched.has(row.profile_id));
  writeLinks(sql, pop, storedLinks, plan.links.filter((l) => linkClusters.has(clusterOf.get(l.a)?.profileId ?? '')), clusterOf, stagedIds);
  if (consentClusters.size) {
    // profile_consents: the rows of profiles.consents, as just written.
    const ids = [...consentClusters].map((c) => c.profileId);
    sql.send(`DELETE FROM profile_consents WHERE profile_id = ANY($1::uuid[])`, [ids]);
    sql.send(
      `INSERT INTO profile_consents (profile_id, channel, purpose, status)
       SELECT p.id, k.channel, k.purpose, k.status FROM profiles p, jsonb_to_recordset(p.consents) AS k(channel text, purpose text, status text)
        WHERE p.id = ANY($1::uuid[])`,
      [ids],
    );
  }
  writeReview(sql, pop, plan);
  for (const [a, b] of plan.obsolete) outcome.touchedRecords.push(a, b);
  for (const r of plan.review) outcome.touchedRecords.push(pop.idOf(r.a), pop.idOf(r.b));

  const now = new Date().toISOString();
  const outbox: Array<{ p: string; c: ProfileChange; d: unknown }> = [];
  for (const c of written) {
    outbox.push({
      p: c.profileId,
      c: c.change,
      d: { change: c.change, profileId: c.profileId, status: 'active', ...(c.mergedFrom.length ? { mergedFrom: c.mergedFrom } : {}), ...(c.splitFrom.length ? { splitFrom: c.splitFrom } : {}), changedAt: now },
    });
  }
  for (const r of plan.retired) {
    const change: ProfileChange = r.into ? 'merged' : 'updated';
    outbox.push({ p: r.id, c: change, d: { change, profileId: r.id, status: r.into ? 'merged' : 'retired', mergedInto: r.into, changedAt: now } });
  }
  if (outbox.length) {
    // With the version each profile has now (written above in this transaction); rows in the order given.
    sql.send(
      `INSERT INTO profile_outbox (profile_id, change, payload)
       SELECT t.p, t.c, t.d || jsonb_build_object('version', p.version)
         FROM unnest($1::uuid[], $2::text[], ${jsonbElements(3)}) WITH ORDINALITY AS t(p, c, d, n) LEFT JOIN profiles p ON p.id = t.p
        ORDER BY t.n`,
      [uuidArray(outbox.map((o) => o.p)), textArray(outbox.map((o) => o.c)), JSON.stringify(outbox.map((o) => o.d))],
    );
  }
  options.queued?.();
  await sql.settled();
  for (const [id, has] of await consentsWritten) outcome.consentProfiles.set(id, has);
  return outcome;
}

/**
 * Statements queued on one transaction's connection without the caller waiting for each answer.
 * Without a pipeline client each is sent the moment the one before is answered (node-postgres runs one
 * query at a time, and queueing in the driver is deprecated), so PostgreSQL works through them while
 * this process goes on working out the next; one statement runs at a time, so per-statement timings
 * and the database CPU diagnostic stay exact. With one, the connection is in node-postgres's pipeline
 * mode while the plan is written: each statement goes out at once, so PostgreSQL never waits for this
 * process to take an answer (it used to, while this thread planned the next transaction or computed
 * golden records); PostgreSQL still runs them one after the other, in the order they were queued, and
 * each is timed from when the one before was answered (or it was sent, if later) to its own answer.
 * `settled` waits for all of them and throws the first failure (a statement after a failed one fails
 * only because the transaction is aborted); `close` waits for every answer and leaves pipeline mode.
 */
class Statements {
  private readonly sent: Array<Promise<unknown>> = [];
  private readonly answered: Array<Promise<unknown>> = [];
  private readonly failures: unknown[] = [];
  private last: Promise<unknown> = Promise.resolve();
  private lastAnswerAt = 0;

  constructor(
    private readonly db: Queryable,
    private readonly pipe?: { client: PipelineClient; timings: ResolverTimings },
  ) {
    if (pipe) pipe.client.pipeline = true;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send<T = any>(text: string, parameters: unknown[], check?: (result: any) => T, failure?: (error: unknown) => unknown): Promise<T> {
    const fail = (error: unknown) => {
      throw failure ? failure(error) : error;
    };
    let answer: Promise<unknown>;
    if (this.pipe) {
      const { client, timings } = this.pipe;
      const sentAt = performance.now();
      const name = `sql ${statementName(text)}`;
      const took = () => {
        const now = performance.now();
        timings.add(name, now - Math.max(sentAt, this.lastAnswerAt));
        this.lastAnswerAt = now;
      };
      // One buffer of the statement's size (see OneBufferQuery), answered through its callback.
      const sending = new Promise<{ rows: unknown[]; rowCount: number | null; command: string }>((resolve, reject) => {
        client.query(new OneBufferQuery(text, parameters, (error, result) => (error ? reject(error) : resolve(result))));
      });
      answer = sending.then(
        (r) => {
          took();
          // As TypeORM answers: [rows, affected] for UPDATE and DELETE, the rows otherwise.
          return r.command === 'UPDATE' || r.command === 'DELETE' ? [r.rows, r.rowCount] : r.rows;
        },
        (error: unknown) => {
          took();
          return fail(error);
        },
      );
    } else {
      const run = () => this.db.query(text, parameters).catch(fail);
      answer = this.last.then(run, run);
      this.last = answer.catch(() => undefined);
    }
    const result = check ? answer.then(check) : (answer as Promise<T>);
    const at = this.sent.length;
    // A failure surfaces through `settled` (or the caller awaiting this statement), never as an unhandled rejection.
    this.answered.push(
      result.then(
        () => undefined,
        (error: unknown) => {
          this.failures[at] = error;
        },
      ),
    );
    this.sent.push(result);
    return result;
  }

  async settled(): Promise<void> {
    for (const statement of this.sent) await statement;
  }

  /** The failure of the first statement that failed, once every statement is answered (see close). */
  firstFailure(): unknown {
    return this.failures.find((f) => f !== undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.answered);
    if (this.pipe) this.pipe.client.pipeline = false;
  }
}

type StoredLink = { record_a: string; record_b: string; profile_id: string };

function writeRecords(sql: Statements, pop: Population, staged: readonly StagedChange[], identifiersOf: ReadonlyMap<number, RecordIdentifier[]>): void {
  if (staged.length === 0) return;
  // The rows as one array per column (see sql-arrays.ts); identifiers and attributes as JSON arrays.
  const columns = (list: readonly StagedChange[]) => [
    uuidArray(list.map((c) => c.state.id)),
    textArray(list.map((c) => c.state.source)),
    textArray(list.map((c) => c.state.sourceRecordId)),
    scalarArray(list.map((c) => c.state.version)),
    uuidArray(list.map((c) => c.eventId)),
    textArray(list.map((c) => c.kind)),
    scalarArray(list.map((c) => c.state.deleted)),
    JSON.stringify(list.map((c) => c.state.identifiers)),
    JSON.stringify(list.map((c) => c.state.attributes)),
    textArray(list.map((c) => c.state.occurredAt)),
    uuidArray(list.map((c) => pop.profileOf[c.slot])),
  ];
  const fromColumns = `unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::uuid[], $6::text[], $7::boolean[],
                       ${jsonbElements(8)}, ${jsonbElements(9)}, $10::timestamptz[], $11::uuid[])
                  AS t(id, s, r, v, e, k, d, i, a, o, p)`;
  // New records are inserted, known ones updated: both cheaper than an upsert, and the population says
  // which is which. A database that disagrees (a unique violation, or a version already newer) means
  // the population is stale.
  const fresh = staged.filter((c) => !c.existed);
  if (fresh.length) {
    sql.send(
        `INSERT INTO source_records (id, source, source_record_id, record_version, last_event_id, kind, deleted, identifiers, attributes, occurred_at, profile_id)
         SELECT id, s, r, v, e, k, d, i, a, o, p FROM ${fromColumns}
         RETURNING id`,
        columns(fresh),
        (rows: Array<{ id: string }>) => {
          if (rows.length === fresh.length) return;
          // The erasure guard trigger dropped rows (a writer that did not check erasures itself).
          const stored = new Set(rows.map((r) => r.id));
          throw new RecordsRefusedError(fresh.filter((c) => !stored.has(c.state.id)).map((c) => `${c.state.source}\u0000${c.state.sourceRecordId}`));
        },
        (error) => ((error as { code?: string }).code === '23505' ? new PopulationStaleError('a record the resolver took for new is stored already') : error),
      );
  }
  const known = staged.filter((c) => c.existed);
  if (known.length) {
    sql.send(
      `UPDATE source_records s SET record_version = t.v, last_event_id = t.e, kind = t.k, deleted = t.d, identifiers = t.i, attributes = t.a,
              occurred_at = t.o, profile_id = t.p, updated_at = now()
         FROM ${fromColumns}
        WHERE s.id = t.id AND s.record_version < t.v
        RETURNING s.id`,
      columns(known),
      // TypeORM answers an UPDATE … RETURNING with [rows, affected].
      (rows: [Array<{ id: string }>, number]) => {
        if (rows[1] !== known.length) throw new PopulationStaleError('a record the resolver knew is missing or newer in the database');
      },
    );
  }
  // A kept record's identifier rows say what its new version says (same identifiers, same verified flags, same profile).
  const rewritten = known.filter((c) => !c.kept).map((c) => c.state.id);
  if (rewritten.length) sql.send(`DELETE FROM identifiers WHERE record_id = ANY($1::uuid[])`, [rewritten]);
  // With the record's profile (identifiers.profile_id = source_records.profile_id; a live record always has one).
  const types: string[] = [];
  const values: string[] = [];
  const records: string[] = [];
  const verified: boolean[] = [];
  const profiles: Array<string | null> = [];
  for (const c of staged) {
    if (c.state.deleted || c.kept) continue;
    const p = pop.profileOf[c.slot];
    for (const id of identifiersOf.get(c.slot) ?? []) {
      types.push(id.type);
      values.push(id.value);
      records.push(c.state.id);
      verified.push(Boolean(id.verified));
      profiles.push(p);
    }
  }
  if (types.length) {
    sql.send(
      // No conflict possible: a record's identifiers are deduplicated, and a rewritten record's were deleted above.
      `INSERT INTO identifiers (type, value, record_id, verified, profile_id) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::boolean[], $5::uuid[])`,
      [textArray(types), textArray(values), uuidArray(records), scalarArray(verified), uuidArray(profiles)],
    );
  }
  const consents = new Map<string, [string, string, string, string, string]>();
  for (const c of staged) for (const s of c.consents) consents.set(`${c.state.id}|${s.channel}|${s.purpose}`, [c.state.id, s.channel, s.purpose, s.status, s.occurredAt]);
  if (consents.size) {
    const rows = [...consents.values()];
    sql.send(
      `INSERT INTO record_consents (record_id, channel, purpose, status, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
       ON CONFLICT (record_id, channel, purpose) DO UPDATE SET status = EXCLUDED.status, occurred_at = EXCLUDED.occurred_at`,
      [rows.map((o) => o[0]), rows.map((o) => o[1]), rows.map((o) => o[2]), rows.map((o) => o[3]), rows.map((o) => o[4])],
    );
  }
}

/**
 * What survivorship reads of every member: staged records from their event, others from what the
 * population holds of their stored state (Population.survivorInputs); the few it does not hold from the
 * database.
 */
async function survivorshipInputs(
  sql: Statements,
  pop: Population,
  clusters: readonly PlannedCluster[],
  staged: readonly StagedChange[],
  identifiersOf: ReadonlyMap<number, RecordIdentifier[]>,
): Promise<Map<number, SurvivorshipRecord>> {
  const out = new Map<number, SurvivorshipRecord>();
  const bySlot = new Map(staged.map((c) => [c.slot, c]));
  const missing: number[] = [];
  for (const c of clusters) {
    for (const s of c.members) {
      const change = bySlot.get(s);
      if (change) {
        out.set(s, survivor(pop, change.state, identifiersOf.get(s) ?? pop.normalizer.identifiers(change.state)));
        continue;
      }
      const held = pop.survivorInputs(s);
      if (held) out.set(s, held);
      else missing.push(s);
    }
  }
  if (missing.length === 0) return out;
  const slotOf = new Map(missing.map((s) => [pop.idOf(s), s]));
  const rows: Array<{ id: string; source: string; source_record_id: string; occurred_at: Date; attributes: Record<string, string | undefined>; identifiers: RecordState['identifiers'] }> =
    await sql.send(`SELECT id, source, source_record_id, occurred_at, attributes, identifiers FROM source_records WHERE id = ANY($1::uuid[])`, [[...slotOf.keys()]]);
  for (const row of rows) {
    const state = { source: row.source, sourceRecordId: row.source_record_id, occurredAt: row.occurred_at.toISOString(), attributes: row.attributes ?? {}, identifiers: row.identifiers ?? [] };
    out.set(slotOf.get(row.id) as number, survivor(pop, state, pop.normalizer.identifiers(state)));
  }
  if (rows.length !== slotOf.size) throw new Error(`${slotOf.size - rows.length} profile member(s) are missing from source_records; the resolver's view is stale`);
  return out;
}

function survivor(pop: Population, state: Pick<RecordState, 'source' | 'sourceRecordId' | 'occurredAt' | 'attributes'>, identifiers: RecordIdentifier[]): SurvivorshipRecord {
  return {
    stored: { source: state.source, sourceRecordId: state.sourceRecordId, occurredAt: state.occurredAt, attributes: state.attributes },
    sortKey: `${state.source}\u0000${state.sourceRecordId}`,
    identifiers,
  };
}

/**
 * Inserts the new profiles and updates the others (version + 1). The consent of the profiles in
 * `consentClusters` is recomputed from their members' record consents (written before in this
 * transaction): the most restrictive state per channel and purpose, ordered by channel and purpose, `[]`
 * when none; the others keep theirs. Answers, once the statements ran, whether each recomputed profile
 * has any consent state.
 */
function writeProfiles(
  sql: Statements,
  pop: Population,
  clusters: readonly PlannedCluster[],
  golden: Map<PlannedCluster, { golden: unknown; lineage: Record<string, AttributeLineage> }>,
  consentClusters: ReadonlySet<PlannedCluster>,
): Promise<Map<string, boolean>> {
  // One array per column (see sql-arrays.ts): golden records and lineage as JSON arrays, members as uuid[] lines.
  const columns = (list: readonly PlannedCluster[]) => [
    uuidArray(list.map((c) => c.profileId)),
    JSON.stringify(list.map((c) => golden.get(c)?.golden)),
    JSON.stringify(list.map((c) => compactLineage(golden.get(c)?.lineage ?? {}))),
    scalarArray(list.map((c) => c.members.length)),
    uuidArrayLines(list.map((c) => (consentClusters.has(c) ? c.members.map((s) => pop.idOf(s)) : null))),
  ];
  const fromColumns = `(SELECT id, g, l, c, m::uuid[] AS m
                   FROM unnest($1::uuid[], ${jsonbElements(2)}, ${jsonbElements(3)}, $4::int[], string_to_array($5, E'\\n', ''))
                     AS u(id, g, l, c, m)) t`;
  const consent = `LEFT JOIN LATERAL (
      SELECT COALESCE(jsonb_agg(jsonb_build_object('channel', channel, 'purpose', purpose, 'status', status) ORDER BY channel, purpose), '[]'::jsonb) AS k
        FROM (SELECT c.channel, c.purpose,
                     (ARRAY['granted', 'withdrawn', 'suppressed'])[max(CASE c.status WHEN 'granted' THEN 1 WHEN 'withdrawn' THEN 2 ELSE 3 END)] AS status
                FROM record_consents c WHERE c.record_id = ANY(t.m) GROUP BY c.channel, c.purpose) s) k ON t.m IS NOT NULL`;
  const answers: Array<Promise<Array<{ id: string; has: boolean }>>> = [];
  const created = clusters.filter((c) => c.created);
  if (created.length) {
    answers.push(
      sql.send(
        `INSERT INTO profiles (id, status, version, golden, lineage, record_count, consents)
         SELECT t.id, 'active', 1, t.g, t.l, t.c, COALESCE(k.k, '[]'::jsonb)
           FROM ${fromColumns} ${consent}
         RETURNING id, consents <> '[]'::jsonb AS has`,
        columns(created),
      ),
    );
  }
  const changed = clusters.filter((c) => !c.created);
  if (changed.length) {
    answers.push(
      sql.send(
        `UPDATE profiles p SET status = 'active', merged_into = NULL, version = p.version + 1, golden = t.g, lineage = t.l, record_count = t.c,
                consents = COALESCE(k.k, p.consents), updated_at = now()
           FROM ${fromColumns} ${consent}
          WHERE p.id = t.id
         RETURNING p.id, p.consents <> '[]'::jsonb AS has`,
        columns(changed),
        // TypeORM answers an UPDATE … RETURNING with [rows, affected].
        (result: [Array<{ id: string; has: boolean }>, number]) => result[0],
      ),
    );
  }
  const recomputed = new Set([...consentClusters].map((c) => c.profileId));
  return Promise.all(answers).then((lists) => new Map(lists.flat().filter((r) => recomputed.has(r.id)).map((r) => [r.id, r.has])));
}

function retireProfiles(sql: Statements, retired: Plan['retired']): void {
  if (retired.length === 0) return;
  const ids = retired.map((r) => r.id);
  sql.send(
    `UPDATE profiles p SET status = CASE WHEN t.target IS NULL THEN 'retired' ELSE 'merged' END, merged_into = t.target, record_count = 0, consents = '[]'::jsonb,
            version = p.version + 1, updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[]) AS t(id, target) WHERE p.id = t.id`,
    [ids, retired.map((r) => r.into)],
  );
  sql.send(`DELETE FROM profile_links WHERE profile_id = ANY($1::uuid[])`, [ids]);
  sql.send(`DELETE FROM profile_consents WHERE profile_id = ANY($1::uuid[])`, [ids]);
}

/**
 * Brings the written profiles' links up to date: a link is rewritten only when it is new or one of
 * its records changed, and deleted when its records are no longer linked in that profile. Most
 * existing links are left as they are (a profile that gains a record keeps its links).
 */
function writeLinks(sql: Statements, pop: Population, storedLinks: readonly StoredLink[], links: readonly PlannedPair[], clusterOf: Map<number, PlannedCluster>, staged: ReadonlySet<string>): void {
  const wanted = new Map<string, { pair: PlannedPair; profile: string }>();
  for (const l of links) {
    const a = pop.idOf(l.a);
    const b = pop.idOf(l.b);
    wanted.set(a < b ? `${a}|${b}` : `${b}|${a}`, { pair: l, profile: clusterOf.get(l.a)?.profileId as string });
  }
  const stale: Array<[string, string]> = [];
  const kept = new Set<string>();
  for (const row of storedLinks) {
    const key = `${row.record_a}|${row.record_b}`;
    const want = wanted.get(key);
    if (want && want.profile === row.profile_id && !staged.has(row.record_a) && !staged.has(row.record_b)) kept.add(key);
    else if (!want) stale.push([row.record_a, row.record_b]);
  }
  if (stale.length) {
    sql.send(`DELETE FROM profile_links l USING unnest($1::uuid[], $2::uuid[]) AS t(a, b) WHERE l.record_a = t.a AND l.record_b = t.b`, [
      stale.map((p) => p[0]),
      stale.map((p) => p[1]),
    ]);
  }
  const write = [...wanted.entries()].filter(([key]) => !kept.has(key));
  if (write.length === 0) return;
  const [a, b, score, rule, evidence] = pairColumns(write.map(([, w]) => pairRow(pop, w.pair)));
  sql.send(
    `INSERT INTO profile_links (record_a, record_b, profile_id, score, rule, evidence)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::real[], $5::text[], ${jsonbElements(6)})
     ON CONFLICT (record_a, record_b) DO UPDATE SET profile_id = EXCLUDED.profile_id, score = EXCLUDED.score, rule = EXCLUDED.rule, evidence = EXCLUDED.evidence`,
    [a, b, uuidArray(write.map(([, w]) => w.profile)), score, rule, evidence],
  );
}

function writeReview(sql: Statements, pop: Population, plan: Plan): void {
  if (plan.obsolete.length) {
    sql.send(
      `UPDATE review_queue q SET status = 'obsolete' FROM unnest($1::uuid[], $2::uuid[]) AS t(a, b) WHERE q.record_a = t.a AND q.record_b = t.b AND q.status IN ('open', 'household')`,
      [plan.obsolete.map((p) => p[0]), plan.obsolete.map((p) => p[1])],
    );
  }
  if (plan.review.length === 0) return;
  // A pair the person-attribute guardrail held apart is recorded as a household, not queued for a steward.
  sql.send(
    `INSERT INTO review_queue (record_a, record_b, score, rule, evidence, status)
     SELECT a, b, s, r, e, CASE WHEN r = $6 THEN 'household' ELSE 'open' END
       FROM unnest($1::uuid[], $2::uuid[], $3::real[], $4::text[], ${jsonbElements(5)}) AS t(a, b, s, r, e)
     ON CONFLICT (record_a, record_b) DO UPDATE SET status = EXCLUDED.status, score = EXCLUDED.score, rule = EXCLUDED.rule, evidence = EXCLUDED.evidence
       WHERE review_queue.status = 'obsolete'`,
    [...pairColumns(plan.review.map((p) => pairRow(pop, p))), HOUSEHOLD_RULE],
  );
}

/** A pair as stored (record_a < record_b), with the engine's evidence. */
function pairRow(pop: Population, pair: PlannedPair): { a: string; b: string; s: number; r: string; e: unknown } {
  const [x, y] = pop.sortKeyOf(pair.a) < pop.sortKeyOf(pair.b) ? [pair.a, pair.b] : [pair.b, pair.a];
  const result = pop.explain(x, y);
  const ia = pop.idOf(x);
  const ib = pop.idOf(y);
  const mustLink = pop.mustLinks.get(ia)?.has(ib) ?? false;
  const [a, b] = ia < ib ? [ia, ib] : [ib, ia];
  return { a, b, s: pair.score, r: mustLink ? MUST_LINK_RULE : result.rule, e: compactEvidence(result.evidence) };
}

/** Pairs as statement parameters: record_a, record_b, score, rule, evidence (see sql-arrays.ts). */
function pairColumns(rows: ReadonlyArray<ReturnType<typeof pairRow>>): string[] {
  return [uuidArray(rows.map((r) => r.a)), uuidArray(rows.map((r) => r.b)), scalarArray(rows.map((r) => r.s)), textArray(rows.map((r) => r.r)), JSON.stringify(rows.map((r) => r.e))];
}

/** JSON with object keys sorted: PostgreSQL's jsonb does not keep key order, so plain JSON.stringify would see changes that are not there. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
