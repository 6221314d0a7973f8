import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventProducer } from '@tandem/messaging';

export const DEAD_LETTER_STATUSES = ['open', 'replayed', 'discarded'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/** Header a replayed message carries: which dead letter it came from. */
export const REPLAYED_FROM_HEADER = 'x-replayed-from-dead-letter';

export interface DeadLetterSummary {
  id: string;
  status: DeadLetterStatus;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: string | null;
  key: string | null;
  reason: string;
  attempts: number;
  connector: string | null;
  source: string | null;
  sourceRecordId: string | null;
  failedAt: string;
  recordedAt: string;
  replayCount: number;
  replayedAt: string | null;
  discardedAt: string | null;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  /** The original message's value as text (UTF-8), exactly as it failed. */
  payload: string | null;
  /** The same, parsed, when it is JSON. */
  payloadJson?: unknown;
  headers: Record<string, string>;
  deadLetter: { topic: string; partition: number; offset: string };
}

export interface DeadLetterFilter {
  status?: DeadLetterStatus;
  topic?: string;
  source?: string;
  limit: number;
  /** Only rows recorded before this one (paging, newest first). */
  before?: string;
}

export interface DeadLetterCounts {
  open: number;
  replayed: number;
  discarded: number;
}

/** IT's levers on the dead_letters table: list, inspect, replay to the original topic, discard. */
@Injectable()
export class DeadLettersService {
  constructor(@Inject(DataSource) private readonly db: DataSource, @Inject(EventProducer) private readonly producer: EventProducer) {}

  async list(filter: DeadLetterFilter): Promise<DeadLetterSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.topic) add('original_topic = ?', filter.topic);
    if (filter.source) add('source = ?', filter.source);
    if (filter.before) add('(created_at, id) < (SELECT created_at, id FROM dead_letters WHERE id = ?::uuid)', filter.before);
    params.push(filter.limit);
    const rows: Row[] = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toSummary);
  }

  async counts(): Promise<DeadLetterCounts> {
    const rows: { status: DeadLetterStatus; n: string }[] = await this.db.query(`SELECT status, count(*) AS n FROM dead_letters GROUP BY status`);
    const counts: DeadLetterCounts = { open: 0, replayed: 0, discarded: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }

  async get(id: string): Promise<DeadLetterDetail> {
    const rows: Row[] = await this.db.query(`SELECT ${SUMMARY_COLUMNS}, payload, headers, dead_letter_topic, dead_letter_partition, dead_letter_offset FROM dead_letters WHERE id = $1`, [id]);
    if (!rows.length) throw new NotFoundException(`no dead letter ${id}`);
    return toDetail(rows[0]);
  }

  /**
   * Puts the original message (key, value, headers) back on its original topic and marks the
   * dead letter replayed; the row stays locked meanwhile, so two operators cannot replay it twice
   * at once. If the process dies between the send and the commit, the row stays open and a second
   * replay sends it again: consumers are idempotent by event id, so that is harmless.
   */
  async replay(id: string): Promise<DeadLetterDetail> {
    await this.db.transaction(async (manager) => {
      const rows: Row[] = await manager.query(`SELECT ${SUMMARY_COLUMNS}, payload, headers FROM dead_letters WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows.length) throw new NotFoundException(`no dead letter ${id}`);
      const row = rows[0];
      if (row.status === 'discarded') throw new ConflictException(`dead letter ${id} was discarded; it cannot be replayed`);
      if (row.status === 'replayed') throw new ConflictException(`dead letter ${id} was already replayed`);
      if (!row.original_topic) {
        throw new ConflictException(`dead letter ${id} has no original topic: the connector refused it before it reached Kafka; fix the source record (or the mapping) and resync the connector, then discard this one`);
      }
      await this.producer.send(row.original_topic, [
        { key: row.message_key, value: row.payload ?? null, headers: { ...(row.headers ?? {}), [REPLAYED_FROM_HEADER]: id } },
      ]);
      await manager.query(`UPDATE dead_letters SET status = 'replayed', replay_count = replay_count + 1, replayed_at = now(), updated_at = now() WHERE id = $1`, [id]);
    });
    return this.get(id);
  }

  async discard(id: string): Promise<DeadLetterDetail> {
    const rows: { status: DeadLetterStatus }[] = await this.db.query(`SELECT status FROM dead_letters WHERE id = $1`, [id]);
    if (!rows.length) throw new NotFoundException(`no dead letter ${id}`);
    const updated: unknown[] = await this.db.query(
      `UPDATE dead_letters SET status = 'discarded', discarded_at = now(), updated_at = now() WHERE id = $1 AND status = 'open' RETURNING 1`,
      [id],
    );
    // TypeORM answers UPDATE … RETURNING with [rows, affected].
    const changed = Array.isArray(updated[0]) ? (updated[0] as unknown[]).length : updated.length;
    if (!changed) throw new ConflictException(`dead letter ${id} is ${rows[0].status}, not open; only an open one can be discarded`);
    return this.get(id);
  }
}

const SUMMARY_COLUMNS = `id, status, original_topic, original_partition, original_offset, message_key, reason, attempts, connector, source,
  source_record_id, failed_at, created_at, replay_count, replayed_at, discarded_at`;

interface Row {
  id: string;
  status: DeadLetterStatus;
  original_topic: string | null;
  original_partition: number | null;
  original_offset: string | null;
  message_key: string | null;
  reason: string;
  attempts: number;
  connector: string | null;
  source: string | null;
  source_record_id: string | null;
  failed_at: Date;
  created_at: Date;
  replay_count: number;
  replayed_at: Date | null;
  discarded_at: Date | null;
  payload?: Buffer | null;
  headers?: Record<string, string>;
  dead_letter_topic?: string;
  dead_letter_partition?: number;
  dead_letter_offset?: string;
}

function toSummary(row: Row): DeadLetterSummary {
  return {
    id: row.id,
    status: row.status,
    originalTopic: row.original_topic,
    originalPartition: row.original_partition,
    originalOffset: row.original_offset,
    key: row.message_key,
    reason: row.reason,
    attempts: row.attempts,
    connector: row.connector,
    source: row.source,
    sourceRecordId: row.source_record_id,
    failedAt: new Date(row.failed_at).toISOString(),
    recordedAt: new Date(row.created_at).toISOString(),
    replayCount: row.replay_count,
    replayedAt: row.replayed_at ? new Date(row.replayed_at).toISOString() : null,
    discardedAt: row.discarded_at ? new Date(row.discarded_at).toISOString() : null,
  };
}

function toDetail(row: Row): DeadLetterDetail {
  const payload = row.payload ? row.payload.toString('utf8') : null;
  const detail: DeadLetterDetail = {
    ...toSummary(row),
    payload,
    headers: row.headers ?? {},
    deadLetter: { topic: row.dead_letter_topic!, partition: row.dead_letter_partition!, offset: String(row.dead_letter_offset) },
  };
  if (payload !== null) {
    try {
      detail.payloadJson = JSON.parse(payload);
    } catch {
      // not JSON: the text is all there is
    }
  }
  return detail;
}
