import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CustomerEventV1 } from '@tandem/contracts';
import { databaseSecret, erasedSubjects, SECRET_NAMES } from '@tandem/governance';
import { ConsumedMessage } from '@tandem/messaging';
import { Metrics } from '@tandem/observability';
import { ProfileResolver, RecordsRefusedError, type ConsentStatement, type RecordChange } from '@tandem/profiles';
import { IdentityConfig } from '../identity.config';

/**
 * Applies a chunk of events in transactions of at most IDENTITY_RESOLVE_RECORDS source records each:
 * under the resolution lock, drop the events of erased people, store the records whose version is new
 * and resolve their profiles, commit (see ProfileResolver.transaction). A redelivered or replayed event
 * is no newer than what is stored and changes nothing.
 */
@Injectable()
export class ResolutionService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ProfileResolver) private readonly resolver: ProfileResolver,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.suppressed = metrics.counter('identity_events_suppressed_total', 'Events dropped because they identify an erased person');
  }

  private readonly suppressed: ReturnType<Metrics['counter']>;
  private erasureSalt?: Buffer;
  private readonly waiting: Job[] = [];
  private draining = false;

  /**
   * Returns the number of source records the events changed. Chunks handed over while another is being
   * applied (one per partition, consumed concurrently) wait and then share one transaction: per
   * transaction the resolver pays a fixed cost in round trips that small chunks would each pay again.
   */
  apply(messages: ConsumedMessage<CustomerEventV1>[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const job: Job = { messages: messages.map((m) => Object.assign(m, { change: recordChange(m.value) })), resolve, reject };
      this.waiting.push(job);
      // The chunks of one fetch (one per partition) arrive in the same turn of the event loop: they go
      // into one transaction rather than the first alone and the rest in a second one after it.
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
      // A transaction is running: normalize this chunk meanwhile, a slice at a time, while it waits on the database.
      else this.prepareAhead(job.messages);
    });
  }

  private prepareAhead(messages: Prepared[], from = 0): void {
    if (from >= messages.length) return;
    setImmediate(() => {
      const to = Math.min(messages.length, from + PREPARE_SLICE);
      this.resolver.prepare(messages.slice(from, to).map((m) => m.change));
      this.prepareAhead(messages, to);
    });
  }

  private async drain(): Promise<void> {
    try {
      await this.drainWaiting();
    } finally {
      this.draining = false;
    }
  }

  private async drainWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const jobs = this.waiting.splice(0, this.waiting.length);
      void this.applyJobs(jobs);
      // Chunks handed over from now on are planned once these are (while their statements run in PostgreSQL).
      await this.resolver.planned();
    }
  }

  /** Applies the jobs' messages together; settles every job (never rejects). */
  private async applyJobs(jobs: Job[]): Promise<void> {
    try {
      const changed = await this.applyNow(jobs.flatMap((j) => j.messages));
      for (const job of jobs) job.resolve(changedIn(job.messages, changed));
    } catch (error) {
      if (jobs.length === 1) {
        jobs[0].reject(error);
        return;
      }
      // One chunk's data may be at fault: each on its own, so only that one fails (and is retried,
      // then dead-lettered, by the consumer). What a failed transaction committed before is stored.
      for (const job of jobs) await this.applyNow(job.messages).then((changed) => job.resolve(changedIn(job.messages, changed)), job.reject);
    }
  }

  /**
   * Applies the messages in transactions of at most IDENTITY_RESOLVE_RECORDS records, each planned
   * while the one before is written (see ProfileResolver.transaction); returns the keys of the records
   * changed, or throws the first failure once every transaction has ended.
   */
  private async applyNow(messages: Prepared[]): Promise<Set<string>> {
    this.erasureSalt ??= await databaseSecret(this.dataSource, SECRET_NAMES.erasureSalt);
    const salt = this.erasureSalt;
    const outcomes = await Promise.allSettled(groupByRecord(messages, this.config.IDENTITY_RESOLVE_RECORDS).map((group) => this.applyGroup(group, salt)));
    const changedKeys = new Set<string>();
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') throw outcome.reason;
      for (const key of outcome.value) changedKeys.add(key);
    }
    return changedKeys;
  }

  /** One transaction's records; returns the keys of those stored. */
  private async applyGroup(group: Prepared[], salt: Buffer): Promise<string[]> {
    let refused = new Set<string>();
    for (;;) {
      try {
        return await this.resolver.transaction(
          this.dataSource,
          async (tx) => {
            const kept = await this.withoutErased(tx.manager, salt, group.filter((m) => !refused.has(recordKey(m.value.source, m.value.sourceRecordId))));
            return (await tx.ingest(kept.map((m) => m.change))).stored;
          },
          { ahead: this.config.IDENTITY_PLAN_AHEAD === 'on' },
        );
      } catch (error) {
        if (!(error instanceof RecordsRefusedError) || error.keys.every((k) => refused.has(k))) throw error;
        // The database's own erasure guard refused records the resolver's check let through (a form of
        // an erased identifier only the guard knows): they are suppressed; the rest is applied again.
        this.suppressed.inc(error.keys.length);
        refused = new Set([...refused, ...error.keys]);
      }
    }
  }

  /**
   * The events that do not identify an erased person: by record key, or by an identifier normalized as
   * the resolver stores it (so a Gmail address written with dots, or a national phone format, is caught
   * too; the database's own guard sees only plainly written ones). Dropped events are not stored: a
   * replay checks them again.
   */
  private async withoutErased(manager: EntityManager, salt: Buffer, group: Prepared[]): Promise<Prepared[]> {
    // This transaction checks every record itself (on fully normalized identifiers, a superset of what the
    // database's guard trigger checks), so the trigger may skip its rows.
    const [{ any }] = await manager.query(`SELECT set_config('tandem.erasure_checked', 'on', true), EXISTS (SELECT 1 FROM erasure_suppressions) AS any`);
    if (!any || group.length === 0) return group;
    const subjects = group.map(({ value }) => ({
      source: value.source,
      sourceRecordId: value.sourceRecordId,
      identifiers: this.resolver.normalizer.identifiers({ source: value.source, identifiers: value.identifiers ?? [] }),
    }));
    const erased = await erasedSubjects(manager, salt, subjects);
    if (erased.size === 0) return group;
    this.suppressed.inc(erased.size);
    return group.filter((_, index) => !erased.has(index));
  }
}

/** Records normalized ahead per slice of the event loop (a few milliseconds of work). */
const PREPARE_SLICE = 200;

/** A consumed event with what it says about its record (normalized ahead when there was time). */
type Prepared = ConsumedMessage<CustomerEventV1> & { change: RecordChange };

interface Job {
  messages: Prepared[];
  resolve(changed: number): void;
  reject(error: unknown): void;
}

/** A source record's key within a process: `source NUL sourceRecordId`. */
export function recordKey(source: string, sourceRecordId: string): string {
  return `${source}\u0000${sourceRecordId}`;
}

/** What an event says about its source record. */
export function recordChange(e: CustomerEventV1): RecordChange {
  const consents: ConsentStatement[] = (e.consents ?? []).map((c) => ({ channel: c.channel, purpose: c.purpose ?? '', status: c.status, occurredAt: e.occurredAt }));
  if (e.kind === 'email.unsubscribed') consents.push({ channel: 'email', purpose: '', status: 'withdrawn', occurredAt: e.occurredAt });
  if (e.kind === 'email.bounced') consents.push({ channel: 'email', purpose: '', status: 'suppressed', occurredAt: e.occurredAt });
  return {
    source: e.source,
    sourceRecordId: e.sourceRecordId,
    version: e.recordVersion,
    eventId: e.eventId,
    kind: e.kind,
    deleted: e.kind === 'customer.deleted',
    occurredAt: e.occurredAt,
    attributes: (e.attributes ?? {}) as Record<string, string | undefined>,
    identifiers: e.identifiers ?? [],
    consents,
  };
}

/** How many of the messages' records are among the changed ones. */
function changedIn(messages: ConsumedMessage<CustomerEventV1>[], changed: Set<string>): number {
  return new Set(messages.map((m) => recordKey(m.value.source, m.value.sourceRecordId)).filter((key) => changed.has(key))).size;
}

/** Splits messages into groups of at most `records` distinct source records, keeping every record's events together and in order. */
export function groupByRecord<T extends { value: { source: string; sourceRecordId: string } }>(messages: T[], records: number): T[][] {
  const groups: T[][] = [];
  const groupOf = new Map<string, number>();
  let current: T[] = [];
  let distinct = 0;
  for (const m of messages) {
    const key = `${m.value.source}\u0000${m.value.sourceRecordId}`;
    const seen = groupOf.get(key);
    if (seen !== undefined) {
      (seen === groups.length ? current : groups[seen]).push(m);
      continue;
    }
    if (distinct === records) {
      groups.push(current);
      current = [];
      distinct = 0;
    }
    groupOf.set(key, groups.length);
    current.push(m);
    distinct++;
  }
  if (current.length) groups.push(current);
  return groups;
}
