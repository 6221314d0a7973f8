import { uuidv7 } from './uuid-v7';
import type { DataSource, EntityManager } from 'typeorm';
import type { MatchModel } from '@tandem/identity-engine';
import { hubModel, RecordNormalizer } from './record-model';
import { addPair, loadClosure, loadPopulation, refreshRecords, removePair } from './population/loader';
import { applyPlan, assignStaged, planResolution, planResolutionInSlices, type Plan, type PlanRequest } from './population/planner';
import { Population, type PreparedRecord } from './population/population';
import { PopulationStaleError, writePlan, type ConsentStatement, type StagedChange, type WriteOptions, type WriteOutcome } from './plan-writer';
import { lockResolution } from './resolution-locks';
import { appendResolutionLog, PROFILE_CHANGES_CHANNEL, resolutionLogPosition, resolutionLogSince } from './resolution-log';
import { ResolverTimings, type PipelineClient } from './resolver-timings';

/** A source record's new state, as an event brings it. */
export interface RecordChange {
  source: string;
  sourceRecordId: string;
  version: number;
  eventId: string;
  kind: string;
  deleted: boolean;
  occurredAt: string;
  attributes: Record<string, string | undefined>;
  identifiers: ReadonlyArray<{ type: string; value: string; verified?: boolean }>;
  consents: ConsentStatement[];
  /** Normalization done ahead (see ProfileResolver.prepare), by the population it was done for. */
  prepared?: { population: Population; record: PreparedRecord };
}

export interface ResolveOutcome {
  profilesCreated: number;
  profilesChanged: number;
  profilesRetired: number;
  /** Records re-clustered (the neighbourhood). */
  records: number;
  /** The changes that had an effect, as `source NUL sourceRecordId` (older and repeated versions have none). */
  stored: string[];
}

/** How a transaction runs (see ProfileResolver.transaction). */
export interface TransactionOptions {
  /**
   * Plan before taking the resolution lock, while this process's transaction before it is still being
   * written, against the population with that transaction's plan applied. `work` must write only through
   * `ingest` (which takes the lock between planning and writing). If anything else changed the population
   * by then (the transaction before failed, or another writer's entries are in the log), the
   * transaction is planned again under the lock.
   */
  ahead?: boolean;
}

export interface ResolverOptions {
  /**
   * Keep every record in memory between transactions (the streaming resolver, a rebuild). Without it
   * (a process that only re-clusters on a steward's decision) each transaction reads just the records
   * it can reach and changed records cannot be looked up: `ingest` is refused.
   */
  keepPopulation?: boolean;
  /** Called with the records read while the population loads. */
  onLoad?(records: number): void;
  /**
   * Also measure the CPU each statement costs the PostgreSQL server process (a diagnostic: the
   * database must run on this machine; reads /proc around every statement).
   */
  measureDatabaseCpu?: boolean;
  /**
   * Send a plan's statements in node-postgres's pipeline mode, each as soon as it is queued (default),
   * rather than each once the one before is answered (see Statements in plan-writer.ts).
   */
  pipelineStatements?: boolean;
}

/**
 * Identity resolution over PostgreSQL with the population in memory. Every writer of profiles works
 * through `transaction`: it takes the resolution lock, brings the population up to date with what other
 * writers committed (the resolution log), lets the work plan and write its changes, appends to the log,
 * and after the commit applies the plan to the population (or drops it on a rollback). So several
 * instances, stewardship and rebuilds can share one database and still end with the profiles one
 * resolver would make.
 */
export class ProfileResolver {
  readonly normalizer: RecordNormalizer;
  private population?: Population;
  private loading?: Promise<Population>;
  /** Records whose in-memory state may differ from the database after a rollback: read again at the next catch-up. */
  private readonly dirty = new Set<string>();
  private readonly keep: boolean;
  /** Where the time of every transaction went, cumulated. */
  readonly timings = new ResolverTimings();

  constructor(
    readonly model: MatchModel = hubModel(),
    private readonly options: ResolverOptions = {},
  ) {
    this.normalizer = new RecordNormalizer(model);
    this.keep = options.keepPopulation ?? true;
  }

  /** Records read so far by a population load in progress. */
  recordsLoaded = 0;

  /** Live records held in memory (0 before the first transaction, or when the population is not kept). */
  get records(): number {
    return this.population?.liveRecords ?? 0;
  }

  /**
   * Normalizes changes ahead of their transaction (value codes and index keys), so that work is done
   * while another transaction waits on the database. Does nothing before the population is loaded.
   */
  prepare(changes: readonly RecordChange[]): void {
    const pop = this.population;
    if (!pop) return;
    for (const c of changes) if (!c.deleted && c.prepared?.population !== pop) c.prepared = { population: pop, record: pop.prepare(c) };
  }

  /** Drops the population: the next transaction reads it again from the database. */
  invalidate(): void {
    this.population = undefined;
  }

  /** Loads the population now rather than at the first transaction (the identity app does it at start). */
  async load(dataSource: DataSource): Promise<void> {
    if (this.keep) await this.loaded(dataSource);
  }

  /** The turn of the transaction started last: the next one plans when it has planned, locks when it is done. */
  private last = Turn.over();

  /**
   * Runs `work` in a transaction under the resolution lock with an up-to-date population. At most one
   * `ingest` or `recluster` per transaction. Transactions of one resolver take turns in the order they
   * were called: one planned `ahead` plans while the one before is being written, any other starts when
   * the one before has ended.
   */
  async transaction<T>(dataSource: DataSource, work: (tx: ResolutionTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const previous = this.last;
    const turn = new Turn();
    this.last = turn;
    try {
      await previous.planned;
      let ahead = options.ahead && this.keep ? previous : undefined;
      let readAfresh = false;
      for (;;) {
        if (!ahead) await this.timings.time('wait', () => previous.done);
        try {
          return await this.attempt(dataSource, work, turn, ahead);
        } catch (error) {
          if (error instanceof PlannedOnStaleView) {
            ahead = undefined;
            continue;
          }
          if (!(error instanceof PopulationStaleError) || !this.keep || readAfresh) throw error;
          // Someone wrote without appending to the resolution log: read everything afresh and try once more.
          this.invalidate();
          ahead = undefined;
          readAfresh = true;
          // The next transaction may have been told this one planned: it must not plan ahead on the population read afresh.
          turn.replanning = true;
        }
      }
    } finally {
      turn.end(previous);
    }
  }

  /** Settles once every transaction called so far has planned (the next one may plan). */
  planned(): Promise<void> {
    return this.last.planned;
  }

  private async attempt<T>(dataSource: DataSource, work: (tx: ResolutionTransaction) => Promise<T>, turn: Turn, ahead?: Turn): Promise<T> {
    const held = this.keep ? await this.loaded(dataSource) : undefined;
    // The transaction before plans again on `held` and applies its plan only at its commit: planning now would miss it.
    if (ahead?.replanning) throw new PlannedOnStaleView();
    let tx: ResolutionTransaction | undefined;
    try {
      const timings = this.timings;
      let finished = 0;
      const result = await dataSource.transaction(async (manager) => {
        let population: Population;
        if (ahead && held) population = held;
        else {
          await timings.time('lock', () => lockResolution(manager));
          population = this.keep ? await timings.time('catch-up', () => this.caughtUp(manager)) : new Population(this.model);
        }
        const backendPid = this.options.measureDatabaseCpu ? Number((await manager.query(`SELECT pg_backend_pid() AS pid`))[0].pid) : undefined;
        const hooks = ahead && held ? { lock: () => this.lockAfter(manager, held, ahead), planned: () => turn.markPlanned() } : undefined;
        tx = new ResolutionTransaction(manager, population, this.keep, timings, backendPid, hooks, this.options.pipelineStatements ?? true);
        const value = await work(tx);
        await tx.finish();
        finished = performance.now();
        return value;
      });
      timings.add('commit', performance.now() - finished);
      const applying = performance.now();
      tx?.apply();
      timings.add('apply', performance.now() - applying);
      // Updated records leave dead slots behind; when they outnumber the live ones, read the population afresh.
      if (this.population && this.population.dead > Math.max(500_000, 2 * this.population.liveRecords)) this.invalidate();
      return result;
    } catch (error) {
      if (tx?.appliedAhead) {
        // The plan is in the population already (the next transaction may be planning on it): read it afresh.
        if (this.population === tx.population) this.invalidate();
      } else if (tx) {
        tx.discard();
        for (const id of tx.constrained) this.dirty.add(id);
      }
      throw error;
    }
  }

  /**
   * The resolution lock for a transaction planned ahead on `population`, once the transaction before it
   * has ended: refused (PlannedOnStaleView) unless that population is still the one held and nothing
   * but this process's own transactions changed it since.
   */
  private async lockAfter(manager: EntityManager, population: Population, previous: Turn): Promise<void> {
    await this.timings.time('wait', () => previous.done);
    await this.timings.time('lock', () => lockResolution(manager));
    if (this.population !== population || this.dirty.size > 0) throw new PlannedOnStaleView();
    const since = await this.timings.time('catch-up', () => resolutionLogSince(manager, population.seq));
    if (since === null || since.position !== population.seq) throw new PlannedOnStaleView();
  }

  private async loaded(dataSource: DataSource): Promise<Population> {
    if (this.population) return this.population;
    this.loading ??= this.loadFresh(dataSource).finally(() => (this.loading = undefined));
    this.population = await this.loading;
    return this.population;
  }

  private async loadFresh(dataSource: DataSource): Promise<Population> {
    const queryRunner = dataSource.createQueryRunner();
    try {
      await queryRunner.connect();
      // One snapshot for the log position and the rows: the catch-up then starts exactly where the load ended.
      await queryRunner.startTransaction('REPEATABLE READ');
      const [{ n }] = await queryRunner.manager.query(`SELECT count(*)::int AS n FROM source_records`);
      const population = new Population(this.model, n);
      population.seq = await resolutionLogPosition(queryRunner.manager);
      await loadPopulation(queryRunner.manager, population, (n) => {
        this.recordsLoaded = n;
        this.options.onLoad?.(n);
      });
      await queryRunner.commitTransaction();
      return population;
    } catch (error) {
      await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await queryRunner.release();
    }
  }

  /**
   * The population brought up to date with what other writers committed since its position, under the
   * resolution lock; read anew when the log no longer reaches back that far.
   */
  private async caughtUp(manager: EntityManager): Promise<Population> {
    let population = this.population as Population;
    const since = await resolutionLogSince(manager, population.seq);
    if (since === null) {
      population = new Population(this.model);
      population.seq = await resolutionLogPosition(manager);
      await loadPopulation(manager, population, this.options.onLoad);
      this.population = population;
      this.dirty.clear();
      return population;
    }
    const ids = new Set([...since.records, ...this.dirty]);
    this.dirty.clear();
    await refreshRecords(manager, population, [...ids]);
    population.seq = since.position;
    return population;
  }
}

/**
 * Stages the changes that are newer than what the population holds (the newest of each record's
 * changes): a new record gets a new id, a known one keeps its id and, until resolved, its profile.
 *
 * A new version of a live record that changes nothing the matcher reads (the same value codes,
 * identifier codes, blocking keys and verified flags: Population.sameMatchingInputs) is kept in its
 * slot instead (`kept`; Population.keep): its scores with every record and the carriers of every key
 * are what they were, so the clusters the final population implies are the ones it has, and its
 * profile is not searched for nor clustered anew (only its golden record and consent are recomputed).
 * Records with steward constraints or review items around them go the full way, as do deletions,
 * undeletions and any change to a compared value or identifier.
 */
export function stageChanges(pop: Population, changes: readonly RecordChange[]): StagedChange[] {
  const newest = new Map<string, RecordChange>();
  for (const c of changes) {
    const key = `${c.source}\u0000${c.sourceRecordId}`;
    const seen = newest.get(key);
    if (!seen || seen.version < c.version) newest.set(key, c);
  }
  const staged: StagedChange[] = [];
  for (const [key, c] of newest) {
    const previous = pop.slotOfKey(key);
    if (previous !== undefined && pop.version(previous) >= c.version) continue;
    const existed = previous !== undefined;
    const state = {
      id: existed ? pop.idOf(previous) : uuidv7(),
      source: c.source,
      sourceRecordId: c.sourceRecordId,
      version: c.version,
      occurredAt: c.occurredAt,
      deleted: c.deleted,
      attributes: c.attributes ?? {},
      identifiers: c.identifiers ?? [],
      profileId: existed ? pop.profileOf[previous] : null,
      hasConsents: (existed && pop.hasConsents(previous)) || c.consents.length > 0,
    };
    const prepared = c.deleted ? undefined : c.prepared?.population === pop ? c.prepared.record : pop.prepare(state);
    if (prepared && existed && keepable(pop, previous) && pop.sameMatchingInputs(previous, prepared)) {
      pop.keep(previous, state);
      staged.push({ slot: previous, state, eventId: c.eventId, kind: c.kind, consents: c.consents, existed, identifiers: prepared.identifiers, kept: true });
      continue;
    }
    staged.push({ slot: pop.stage(state, prepared, key, previous ?? -1), state, eventId: c.eventId, kind: c.kind, consents: c.consents, existed, identifiers: prepared?.identifiers ?? [] });
  }
  return staged;
}

/** A live committed record with a profile and no steward constraint or review item around it. */
function keepable(pop: Population, slot: number): boolean {
  if (slot >= pop.committed || !pop.isAlive(slot) || !pop.profileOf[slot]) return false;
  const id = pop.idOf(slot);
  return !pop.mustLinks.has(id) && !pop.doNotLinks.has(id) && !pop.openReview.has(id) && !pop.refused.has(id);
}

/** What the planner is asked for the staged changes: new slots to resolve, and records kept in place. */
export function planRequest(staged: readonly StagedChange[]): PlanRequest {
  return { staged: staged.filter((c) => !c.kept).map((c) => c.slot), kept: staged.filter((c) => c.kept).map((c) => c.slot) };
}

/**
 * Resolves batches of changes in memory only, one batch after the other, exactly as the streaming
 * resolver would over an empty database (or over `options.population`, e.g. one loaded from a
 * database): what one resolver makes of exactly these records. `options.timings` gets the time of
 * each step (normalizing and staging, planning, applying) and the planner's work.
 */
export function resolveOffline(
  batches: ReadonlyArray<readonly RecordChange[]>,
  model: MatchModel = hubModel(),
  onPlan?: (plan: Plan) => void,
  options: { population?: Population; timings?: ResolverTimings } = {},
): Population {
  const pop = options.population ?? new Population(model);
  const timings = options.timings;
  for (const batch of batches) {
    let started = performance.now();
    const request = planRequest(stageChanges(pop, batch));
    timings?.add('stage', performance.now() - started);
    started = performance.now();
    const plan = planResolution(pop, request);
    timings?.add('plan', performance.now() - started);
    for (const [kind, n] of Object.entries(plan.stats)) timings?.count(kind, n);
    onPlan?.(plan);
    started = performance.now();
    assignStaged(pop, plan, request.staged);
    applyPlan(pop, plan, plan.review.map((p) => ({ a: pop.idOf(p.a), b: pop.idOf(p.b), score: p.score })));
    timings?.add('apply', performance.now() - started);
  }
  return pop;
}

/** Thrown at the lock of a transaction planned ahead whose population changed meanwhile: it is planned again under the lock. */
class PlannedOnStaleView extends Error {}

/** A transaction's place in its resolver's queue (see ProfileResolver.transaction). */
class Turn {
  /** Settles when the transaction has planned (its plan is in the population) or ended. */
  readonly planned: Promise<void>;
  /** Settles when the transaction and every one before it have ended, committed or not. */
  readonly done: Promise<void>;
  markPlanned: () => void = () => undefined;
  /** Planned again under the lock after its plan went into the population (see ProfileResolver.transaction). */
  replanning = false;
  private markDone: () => void = () => undefined;

  constructor() {
    this.planned = new Promise((resolve) => (this.markPlanned = resolve));
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  static over(): Turn {
    const turn = new Turn();
    turn.markPlanned();
    turn.markDone();
    return turn;
  }

  end(previous: Turn): void {
    this.markPlanned();
    void previous.done.then(this.markDone);
  }
}

/** What a transaction planned ahead is given: the lock to take before writing, and whom to tell it has planned. */
interface AheadHooks {
  lock(): Promise<void>;
  planned(): void;
}

/** One transaction's resolution work (see ProfileResolver.transaction). */
export class ResolutionTransaction {
  /** Record ids whose constraints this transaction changed. */
  readonly constrained = new Set<string>();
  private plan?: Plan;
  private written?: WriteOutcome;
  private readonly noted = new Set<string>();
  private review: Array<{ a: string; b: string; score: number }> = [];
  /** The plan is in the population already, ahead of the commit (see AheadHooks). */
  appliedAhead = false;
  private locked?: Promise<void>;

  constructor(
    readonly manager: EntityManager,
    readonly population: Population,
    private readonly keep: boolean,
    private readonly timings: ResolverTimings = new ResolverTimings(),
    private readonly backendPid?: number,
    private readonly ahead?: AheadHooks,
    private readonly pipelineStatements = true,
  ) {}

  /**
   * Stores the records' new states and resolves their profiles. A change no newer than the stored
   * version has no effect (redelivered and replayed events change nothing).
   */
  async ingest(changes: readonly RecordChange[]): Promise<ResolveOutcome> {
    if (!this.keep) throw new Error('ingest needs a resolver that keeps its population');
    this.beginPlan();
    const started = performance.now();
    const staged = stageChanges(this.population, changes);
    this.timings.add('stage', performance.now() - started);
    const outcome = await this.resolve(planRequest(staged), staged);
    return { ...outcome, stored: staged.map((s) => `${s.state.source}\u0000${s.state.sourceRecordId}`) };
  }

  /** Re-clusters the neighbourhoods of existing records (a steward's decision, a rebuild). */
  async recluster(recordIds: readonly string[], options: { searchSeeds?: boolean } = {}): Promise<ResolveOutcome> {
    this.beginPlan();
    if (!this.keep) await loadClosure(this.manager, this.population, recordIds);
    const seeds = recordIds.map((id) => this.population.slotOfId(id)).filter((s): s is number => s !== undefined);
    const outcome = await this.resolve({ staged: [], seeds, searchSeeds: options.searchSeeds }, [], { rewriteLinks: options.searchSeeds });
    return { ...outcome, stored: [] };
  }

  /** A steward's constraint on a pair, effective for the re-clustering that follows in this transaction. */
  constrain(a: string, b: string, kind: 'must-link' | 'do-not-link'): void {
    const pop = this.population;
    removePair(kind === 'must-link' ? pop.doNotLinks : pop.mustLinks, a, b);
    addPair(kind === 'must-link' ? pop.mustLinks : pop.doNotLinks, a, b);
    // A decided pair is no longer open for review.
    removePair(pop.openReview, a, b);
    removePair(pop.refused, a, b);
    this.constrained.add(a);
    this.constrained.add(b);
    this.noted.add(a);
    this.noted.add(b);
  }

  /** Records whose stored state changed outside a plan (written by the caller): other instances read them again. */
  note(recordIds: Iterable<string>): void {
    for (const id of recordIds) this.noted.add(id);
  }

  private beginPlan(): void {
    if (this.plan) throw new Error('one resolution per transaction');
  }

  private async resolve(request: Parameters<typeof planResolution>[1], staged: StagedChange[], options: Omit<WriteOptions, 'queued'> = {}): Promise<Omit<ResolveOutcome, 'stored'>> {
    const pop = this.population;
    const started = performance.now();
    // Planned ahead, in slices: the transaction before this one is being written meanwhile.
    const plan = this.ahead ? await planResolutionInSlices(pop, request) : planResolution(pop, request);
    this.timings.add('plan', performance.now() - started);
    for (const [kind, n] of Object.entries(plan.stats)) this.timings.count(kind, n);
    this.plan = plan;
    this.review = plan.review.map((p) => ({ a: pop.idOf(p.a), b: pop.idOf(p.b), score: p.score }));
    await this.lockedAhead();
    const queued = this.ahead ? () => this.applyAhead() : undefined;
    this.written = await this.timings.time('write', () => writePlan(this.timings.timed(this.manager, this.backendPid), pop, plan, staged, { ...options, queued, pipeline: this.pipeline() }));
    return { profilesCreated: this.written.profilesCreated, profilesChanged: this.written.profilesChanged, profilesRetired: this.written.profilesRetired, records: plan.neighbourhood.length };
  }

  /**
   * The transaction's connection, to write the plan in pipeline mode: unless switched off, or the
   * database CPU diagnostic reads /proc around each statement (which needs them one at a time).
   */
  private pipeline(): WriteOptions['pipeline'] {
    if (!this.pipelineStatements || this.backendPid !== undefined) return undefined;
    const client = (this.manager.queryRunner as unknown as { databaseConnection?: PipelineClient } | undefined)?.databaseConnection;
    return client && typeof client.pipeline === 'boolean' ? { client, timings: this.timings } : undefined;
  }

  /** A transaction planned ahead takes the resolution lock before its first write (once). */
  private lockedAhead(): Promise<void> {
    if (!this.ahead) return Promise.resolve();
    this.locked ??= this.ahead.lock();
    return this.locked;
  }

  /**
   * Every statement is queued and the plan is no longer read: the population takes it on now, so that
   * the next transaction plans while PostgreSQL works through these statements.
   */
  private applyAhead(): void {
    applyPlan(this.population, this.plan, this.review);
    this.appliedAhead = true;
    this.ahead?.planned();
  }

  /** Appends the log entry and wakes the outbox relay; inside the transaction. */
  async finish(): Promise<void> {
    await this.lockedAhead();
    const touched = [...(this.written?.touchedRecords ?? []), ...this.noted];
    if (touched.length === 0) return;
    this.seq = await this.timings.time('log', () => appendResolutionLog(this.manager, touched));
    if (this.written && (this.written.profilesCreated || this.written.profilesChanged || this.written.profilesRetired)) {
      await this.manager.query(`SELECT pg_notify($1, '')`, [PROFILE_CHANGES_CHANNEL]);
    }
  }

  private seq?: number;

  /** After a rollback: the staged records go. */
  discard(): void {
    this.population.rollback();
  }

  /** After the commit: the population takes the plan on. */
  apply(): void {
    const pop = this.population;
    if (!this.appliedAhead) applyPlan(pop, this.plan, this.review);
    for (const [id, consents] of this.written?.consentProfiles ?? []) {
      const p = pop.profiles.get(id);
      if (p) p.consents = consents;
    }
    // A transaction that wrote nothing leaves no log entry: the position stays (the log is gapless).
    if (this.seq !== undefined) pop.seq = this.seq;
  }
}
