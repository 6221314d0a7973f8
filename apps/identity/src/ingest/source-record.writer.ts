import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CustomerEventV1 } from '@tandem/contracts';
import { ConsumedMessage } from '@tandem/messaging';

export interface AppliedRecords {
  /** Source records whose stored state changed. */
  changed: string[];
  /** Those of them stored for the first time. */
  created: string[];
  /** The changed records as `source NUL sourceRecordId`. */
  keys: string[];
}

/**
 * Stores the latest state of each source record, exactly once in effect: the events' ids and
 * their effect commit in one transaction, a redelivered event finds its id and changes nothing,
 * and an older version of a record never overwrites a newer one.
 */
@Injectable()
export class SourceRecordWriter {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Returns the number of events that had an effect (new, and not older than what is stored). */
  async apply(messages: ConsumedMessage<CustomerEventV1>[]): Promise<number> {
    return this.dataSource.transaction(async (manager) => (await this.applyIn(manager, messages)).changed.length);
  }

  /** Inside the caller's transaction; returns the ids of the source records that changed, and of those that are new. */
  async applyIn(manager: EntityManager, messages: ConsumedMessage<CustomerEventV1>[]): Promise<AppliedRecords> {
    const fresh = await this.claimEventIds(manager, messages);
    if (fresh.length === 0) return { changed: [], created: [], keys: [] };
    // Several versions of one record in a batch: only the newest can win, and two rows for one
    // key in one INSERT … ON CONFLICT would be an error.
    const newest = new Map<string, CustomerEventV1>();
    for (const { value } of fresh) {
      const key = `${value.source}\u0000${value.sourceRecordId}`;
      const seen = newest.get(key);
      if (!seen || seen.recordVersion < value.recordVersion) newest.set(key, value);
    }
    const events = [...newest.values()];
    // xmax is 0 on a row version this statement inserted (rather than updated).
    const rows: { id: string; source: string; source_record_id: string; inserted: boolean }[] = await manager.query(
      `INSERT INTO source_records (source, source_record_id, record_version, last_event_id, kind, deleted, identifiers, attributes, occurred_at)
       SELECT s, r, v, e, k, d, i, a, o FROM jsonb_to_recordset($1::jsonb)
         AS t(s text, r text, v bigint, e uuid, k text, d boolean, i jsonb, a jsonb, o timestamptz)
       ON CONFLICT (source, source_record_id) DO UPDATE SET
         record_version = EXCLUDED.record_version, last_event_id = EXCLUDED.last_event_id, kind = EXCLUDED.kind,
         deleted = EXCLUDED.deleted, identifiers = EXCLUDED.identifiers, attributes = EXCLUDED.attributes,
         occurred_at = EXCLUDED.occurred_at, updated_at = now()
       WHERE source_records.record_version < EXCLUDED.record_version
       RETURNING id, source, source_record_id, (xmax = 0) AS inserted`,
      // One JSON document rather than arrays of JSON texts, which the driver would escape element by element.
      [
        JSON.stringify(
          events.map((e) => ({
            s: e.source,
            r: e.sourceRecordId,
            v: e.recordVersion,
            e: e.eventId,
            k: e.kind,
            d: e.kind === 'customer.deleted',
            i: e.identifiers,
            a: e.attributes,
            o: e.occurredAt,
          })),
        ),
      ],
    );
    await this.writeConsents(manager, events, rows);
    return { changed: rows.map((r) => r.id), created: rows.filter((r) => r.inserted).map((r) => r.id), keys: rows.map((r) => recordKey(r.source, r.source_record_id)) };
  }

  /** Consent and suppression as each changed record states it (the profile takes the most restrictive). */
  private async writeConsents(manager: EntityManager, events: CustomerEventV1[], rows: { id: string; source: string; source_record_id: string }[]): Promise<void> {
    const byKey = new Map(rows.map((r) => [`${r.source}\u0000${r.source_record_id}`, r.id]));
    const out: Array<[string, string, string, string, string]> = [];
    for (const e of events) {
      const id = byKey.get(`${e.source}\u0000${e.sourceRecordId}`);
      if (!id) continue;
      for (const c of e.consents ?? []) out.push([id, c.channel, c.purpose ?? '', c.status, e.occurredAt]);
      if (e.kind === 'email.unsubscribed') out.push([id, 'email', '', 'withdrawn', e.occurredAt]);
      if (e.kind === 'email.bounced') out.push([id, 'email', '', 'suppressed', e.occurredAt]);
    }
    if (out.length === 0) return;
    const unique = [...new Map(out.map((o) => [`${o[0]}|${o[1]}|${o[2]}`, o])).values()];
    await manager.query(
      `INSERT INTO record_consents (record_id, channel, purpose, status, occurred_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
       ON CONFLICT (record_id, channel, purpose) DO UPDATE SET status = EXCLUDED.status, occurred_at = EXCLUDED.occurred_at`,
      [unique.map((o) => o[0]), unique.map((o) => o[1]), unique.map((o) => o[2]), unique.map((o) => o[3]), unique.map((o) => o[4])],
    );
  }

  /** Records the ids of events not seen before and returns those messages. */
  private async claimEventIds(manager: EntityManager, messages: ConsumedMessage<CustomerEventV1>[]): Promise<ConsumedMessage<CustomerEventV1>[]> {
    const unique = new Map(messages.map((m) => [m.value.eventId, m]));
    const list = [...unique.values()];
    const claimed: { event_id: string }[] = await manager.query(
      `INSERT INTO processed_events (event_id, topic, partition, kafka_offset)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[])
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [list.map((m) => m.value.eventId), list.map((m) => m.topic), list.map((m) => m.partition), list.map((m) => m.offset)],
    );
    const ids = new Set(claimed.map((row) => row.event_id));
    return list.filter((m) => ids.has(m.value.eventId));
  }
}

/** A source record's key within a process: `source NUL sourceRecordId`. */
export function recordKey(source: string, sourceRecordId: string): string {
  return `${source}\u0000${sourceRecordId}`;
}
