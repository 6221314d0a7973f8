import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CustomerEventV1 } from '@tandem/contracts';
import { databaseSecret, erasedSubjects, SECRET_NAMES } from '@tandem/governance';
import { ConsumedMessage } from '@tandem/messaging';
import { Metrics } from '@tandem/observability';
import { lockResolution, ProfileResolver } from '@tandem/profiles';
import { IdentityConfig } from '../identity.config';
import { SourceRecordWriter } from './source-record.writer';

/**
 * Applies a chunk of events in transactions of at most IDENTITY_RESOLVE_RECORDS source records each:
 * take the resolution lock, drop the events of erased people, claim the event ids, store the records,
 * resolve their profiles, write the outbox, commit. A redelivered chunk finds its ids claimed and
 * changes nothing. The lock comes first so that no row another writer needs is held while waiting for it.
 */
@Injectable()
export class ResolutionService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SourceRecordWriter) private readonly writer: SourceRecordWriter,
    @Inject(ProfileResolver) private readonly resolver: ProfileResolver,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.suppressed = metrics.counter('identity_events_suppressed_total', 'Events dropped because they identify an erased person');
  }

  private readonly suppressed: ReturnType<Metrics['counter']>;
  private erasureSalt?: Buffer;

  /** Returns the number of events that had an effect. */
  async apply(messages: ConsumedMessage<CustomerEventV1>[]): Promise<number> {
    this.erasureSalt ??= await databaseSecret(this.dataSource, SECRET_NAMES.erasureSalt);
    const salt = this.erasureSalt;
    let applied = 0;
    for (const group of groupByRecord(messages, this.config.IDENTITY_RESOLVE_RECORDS)) {
      applied += await this.dataSource.transaction(async (manager) => {
        await lockResolution(manager);
        const kept = await this.withoutErased(manager, salt, group);
        const { changed, created } = await this.writer.applyIn(manager, kept);
        if (changed.length) await this.resolver.resolve(manager, { changed, created });
        return changed.length;
      });
    }
    return applied;
  }

  /**
   * The events that do not identify an erased person: by record key, or by an identifier normalized as
   * the resolver stores it (so a Gmail address written with dots, or a national phone format, is caught
   * too; the database's own guard sees only plainly written ones). Dropped events are not claimed: a
   * replay checks them again.
   */
  private async withoutErased(manager: EntityManager, salt: Buffer, group: ConsumedMessage<CustomerEventV1>[]): Promise<ConsumedMessage<CustomerEventV1>[]> {
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
