import { Inject, Injectable, Optional } from '@nestjs/common';
import { customerEventKey, CustomerEventV1, DEAD_LETTER_HEADERS, TOPICS } from '@tandem/contracts';
import { EventProducer, OutgoingMessage } from '@tandem/messaging';
import { CORRELATION_HEADER, currentCorrelationId, Metrics } from '@tandem/observability';

/** A source record that could not become a valid event, kept whole for inspection and replay. */
export interface RefusedRecord {
  sourceRecordId: string;
  /** The record as the source sent it. */
  payload: unknown;
  errors: string[];
}

/** The topics {@link SourceOutput} writes to; provide OUTPUT_TOPICS to change them (the benchmark does). */
export interface OutputTopics {
  events: string;
  deadLetters: string;
}

export const OUTPUT_TOPICS = Symbol('OUTPUT_TOPICS');

/**
 * Where every connector's output goes: valid events to the ingest topic, refused records to the
 * dead-letter topic with the reason, both in one acknowledged write. Resolves only once Kafka has
 * acknowledged everything, so a caller may move its checkpoint afterwards and never before.
 */
@Injectable()
export class SourceOutput {
  private readonly produced;
  private readonly refused;

  private readonly topics: OutputTopics;

  constructor(
    @Inject(EventProducer) private readonly producer: EventProducer,
    @Inject(Metrics) metrics: Metrics,
    @Optional() @Inject(OUTPUT_TOPICS) topics: OutputTopics | null = null,
  ) {
    this.topics = topics ?? { events: TOPICS.customerEvents, deadLetters: TOPICS.customerEventsDeadLetter };
    this.produced = metrics.counter('connector_events_produced_total', 'Events a connector wrote to the ingest topic', ['connector']);
    this.refused = metrics.counter('connector_records_dead_lettered_total', 'Source records a connector sent to the dead-letter topic', ['connector']);
  }

  /**
   * `correlationId` defaults to the current unit of work's; a caller outside one (the marketing
   * webhook handler, served ahead of the framework) passes its own.
   */
  // Not `async`: a webhook is one write, and with the services' AsyncLocalStorage every promise
  // (an `await` adds one) pays the promise hooks; the producer's promise, chained once, is the answer.
  write(connector: string, source: string, events: CustomerEventV1[], refusedRecords: RefusedRecord[] = [], correlationId = currentCorrelationId()): Promise<void> {
    let valid: OutgoingMessage[];
    let dead: OutgoingMessage[];
    try {
      valid = events.map((event) => ({
        key: customerEventKey(event.source, event.sourceRecordId),
        value: JSON.stringify(event),
        ...(correlationId ? { headers: { [CORRELATION_HEADER]: correlationId } } : {}),
      }));
      dead = refusedRecords.length ? deadLetters(connector, source, refusedRecords, correlationId) : [];
    } catch (error) {
      // A rejection, as from the `async` function this was.
      return Promise.reject(error);
    }
    if (!valid.length && !dead.length) return Promise.resolve();
    const sent = this.producer.sendBatch(
      dead.length ? [{ topic: this.topics.events, messages: valid }, { topic: this.topics.deadLetters, messages: dead }] : [{ topic: this.topics.events, messages: valid }],
    );
    return sent.then(() => {
      if (valid.length) this.produced.inc({ connector }, valid.length);
      if (dead.length) this.refused.inc({ connector }, dead.length);
    });
  }
}

function deadLetters(connector: string, source: string, records: RefusedRecord[], correlationId: string | undefined): OutgoingMessage[] {
  const failedAt = new Date().toISOString();
  return records.map((record) => ({
    key: customerEventKey(source, record.sourceRecordId),
    value: JSON.stringify(record.payload),
    headers: {
      ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
      [DEAD_LETTER_HEADERS.error]: record.errors.join('; ').slice(0, 2000),
      [DEAD_LETTER_HEADERS.failedAt]: failedAt,
      [DEAD_LETTER_HEADERS.attempts]: '1',
      [DEAD_LETTER_HEADERS.connector]: connector,
      [DEAD_LETTER_HEADERS.source]: source,
      [DEAD_LETTER_HEADERS.sourceRecordId]: record.sourceRecordId,
    },
  }));
}
