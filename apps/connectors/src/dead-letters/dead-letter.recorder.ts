import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { DEAD_LETTER_HEADERS, TOPICS } from '@tandem/contracts';
import { BatchConsumer, ConsumedMessage, EventProducer, KAFKA } from '@tandem/messaging';
import { LOGGER, Metrics } from '@tandem/observability';
import { DeadLettersConfig } from './dead-letters.config';

/** One dead-letter message read back into the row IT operates on. */
export interface DeadLetterRow {
  deadLetterTopic: string;
  deadLetterPartition: number;
  deadLetterOffset: string;
  originalTopic: string | null;
  originalPartition: number | null;
  originalOffset: string | null;
  key: string | null;
  payload: Buffer | null;
  /** The original message's headers, without the dead-letter ones. */
  headers: Record<string, string>;
  reason: string;
  attempts: number;
  connector: string | null;
  source: string | null;
  sourceRecordId: string | null;
  failedAt: string;
}

const DEAD_LETTER_HEADER_NAMES = new Set<string>(Object.values(DEAD_LETTER_HEADERS));

/** Reads what the dead-letter headers say; tolerant, since any service may have written the message. */
export function toDeadLetterRow(message: ConsumedMessage<Buffer | null>): DeadLetterRow {
  const headers = headerStrings(message.headers);
  const header = (name: string) => (headers[name] === undefined ? null : headers[name]);
  const failedAt = Date.parse(header(DEAD_LETTER_HEADERS.failedAt) ?? '');
  const partition = Number(header(DEAD_LETTER_HEADERS.originalPartition));
  const offset = header(DEAD_LETTER_HEADERS.originalOffset);
  const attempts = Number(header(DEAD_LETTER_HEADERS.attempts));
  return {
    deadLetterTopic: message.topic,
    deadLetterPartition: message.partition,
    deadLetterOffset: message.offset,
    originalTopic: header(DEAD_LETTER_HEADERS.originalTopic),
    originalPartition: Number.isInteger(partition) && header(DEAD_LETTER_HEADERS.originalPartition) !== null ? partition : null,
    originalOffset: offset && /^\d+$/.test(offset) ? offset : null,
    key: message.key === null ? null : text(message.key),
    payload: message.value,
    headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !DEAD_LETTER_HEADER_NAMES.has(name))),
    reason: header(DEAD_LETTER_HEADERS.error) ?? 'no reason given (x-error header missing)',
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 1,
    connector: header(DEAD_LETTER_HEADERS.connector),
    source: header(DEAD_LETTER_HEADERS.source),
    sourceRecordId: header(DEAD_LETTER_HEADERS.sourceRecordId),
    failedAt: Number.isNaN(failedAt) ? new Date(Number(message.timestamp) || Date.now()).toISOString() : new Date(failedAt).toISOString(),
  };
}

function headerStrings(headers: IHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[text(name)] = text(first.toString());
  }
  return out;
}

/** PostgreSQL text and jsonb refuse NUL characters; a dead letter must still be recordable. */
function text(value: string): string {
  return value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value;
}

/**
 * The one way dead letters reach the `dead_letters` table: every service (this app's connectors,
 * the identity resolver) writes them to the dead-letter topic with the reason in headers, and this
 * consumer records each message once (keyed by its dead-letter topic, partition and offset).
 */
@Injectable()
export class DeadLetterRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: BatchConsumer<Buffer | null>;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(EventProducer) producer: EventProducer,
    @Inject(LOGGER) logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DeadLettersConfig) private readonly config: DeadLettersConfig,
  ) {
    const recorded = metrics.counter('dead_letters_recorded_total', 'Dead letters written to the dead_letters table');
    this.consumer = new BatchConsumer<Buffer | null>(kafka, producer, logger, {
      groupId: config.DLQ_RECORDER_GROUP,
      topics: [TOPICS.customerEventsDeadLetter],
      // A dead letter that cannot be recorded (it never should) goes back to the same topic, once.
      deadLetterTopic: TOPICS.customerEventsDeadLetter,
      decode: (message) => ({ ok: true, value: message.value }),
      handle: async (messages) => recorded.inc(await this.record(messages.map(toDeadLetterRow))),
    });
  }

  get state(): string {
    return this.consumer.state;
  }

  async record(rows: DeadLetterRow[]): Promise<number> {
    if (!rows.length) return 0;
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO dead_letters (dead_letter_topic, dead_letter_partition, dead_letter_offset, original_topic, original_partition, original_offset,
                                 message_key, payload, headers, reason, attempts, connector, source, source_record_id, failed_at)
       SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::int[], $6::bigint[], $7::text[], $8::bytea[], $9::jsonb[],
                            $10::text[], $11::int[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
       ON CONFLICT (dead_letter_topic, dead_letter_partition, dead_letter_offset, failed_at) DO NOTHING
       RETURNING 1`,
      [
        rows.map((r) => r.deadLetterTopic),
        rows.map((r) => r.deadLetterPartition),
        rows.map((r) => r.deadLetterOffset),
        rows.map((r) => r.originalTopic),
        rows.map((r) => r.originalPartition),
        rows.map((r) => r.originalOffset),
        rows.map((r) => r.key),
        rows.map((r) => r.payload),
        rows.map((r) => JSON.stringify(r.headers)),
        rows.map((r) => r.reason),
        rows.map((r) => r.attempts),
        rows.map((r) => r.connector),
        rows.map((r) => r.source),
        rows.map((r) => r.sourceRecordId),
        rows.map((r) => r.failedAt),
      ],
    );
    return inserted.length;
  }

  onApplicationBootstrap(): void {
    if (this.config.DLQ_RECORDER_ENABLED) this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
