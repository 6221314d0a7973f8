/** Kafka topic names, `tandem.<domain>.<event>.v<N>`. */
export const TOPICS = {
  /** Canonical customer events from every connector; key `source:recordId`. */
  customerEvents: 'tandem.ingest.customer-event.v1',
  /** Events that failed validation or processing after bounded retries, with the reason in headers. */
  customerEventsDeadLetter: 'tandem.ingest.customer-event.v1.dead-letter',
  /** Profile created, updated, merged, split or erased; compacted, key = profile id. */
  profileChanges: 'tandem.profiles.profile-changed.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** How the project creates a topic: explicit partitions and settings, never broker auto-creation. */
export interface TopicSpec {
  name: string;
  partitions: number;
  config?: Record<string, string>;
}

/** Partitions of the ingest topic: the most resolver instances that can share the work. */
export const INGEST_PARTITIONS = 6;

export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: TOPICS.customerEvents, partitions: INGEST_PARTITIONS, config: { 'retention.ms': String(7 * 24 * 3600 * 1000) } },
  { name: TOPICS.customerEventsDeadLetter, partitions: 1, config: { 'retention.ms': String(30 * 24 * 3600 * 1000) } },
  {
    name: TOPICS.profileChanges,
    partitions: INGEST_PARTITIONS,
    // Compacted: a consumer that starts late still finds the latest state of every profile,
    // and an erased profile's tombstone eventually removes it from the log.
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000', 'delete.retention.ms': String(24 * 3600 * 1000) },
  },
];

/** Headers a dead letter carries, so an operator sees where it came from and why it failed. */
export const DEAD_LETTER_HEADERS = {
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  error: 'x-error',
  failedAt: 'x-failed-at',
  attempts: 'x-attempts',
  /** Set when a connector refused a source record before it became an event (no topic/offset then). */
  connector: 'x-connector',
  source: 'x-source',
  sourceRecordId: 'x-source-record-id',
} as const;
