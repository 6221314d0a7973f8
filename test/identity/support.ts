import { Admin, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { customerEventKey, CustomerEventV1 } from '@tandem/contracts';
import { resolveOffline } from '@tandem/profiles';
import { recordChange } from '../../apps/identity/src/ingest/resolution.service';
import { eventually } from '../support/services';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function kafka(clientId: string): Kafka {
  return new Kafka({ brokers, clientId, logLevel: logLevel.NOTHING });
}

/** A topic of the suite's own, so its consumers never wade through other suites' events. */
export async function createTopic(admin: Admin, topic: string, partitions = 6): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

/** Produces events keyed `source:recordId`; `partitionOf` forces a partition (to spread one person over several). */
export async function produce(k: Kafka, topic: string, events: CustomerEventV1[], partitionOf?: (e: CustomerEventV1, i: number) => number): Promise<void> {
  const producer = k.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: events.map((e, i) => ({ key: customerEventKey(e.source, e.sourceRecordId), value: JSON.stringify(e), ...(partitionOf ? { partition: partitionOf(e, i) } : {}) })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Waits until `group` has committed every offset of `topic`. */
export async function caughtUp(admin: Admin, group: string, topic: string, timeoutMs = 60000): Promise<void> {
  await eventually(async () => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const byPartition = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
    return ends.every((e) => Number(e.high) === 0 || byPartition.get(e.partition) === Number(e.high)) ? true : undefined;
  }, timeoutMs, `group ${group} to catch up on ${topic}`);
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

async function rows<T>(db: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  const result = (await db.query(sql, params)) as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/** The profiles of the given sources' records, as sorted lists of `source:recordId`: what a user would call "who is who". */
export async function clustersOf(db: Queryable, sources: string[]): Promise<string[][]> {
  const found = await rows<{ source: string; source_record_id: string; profile_id: string | null }>(
    db,
    `SELECT source, source_record_id, profile_id::text AS profile_id FROM source_records WHERE source = ANY($1::text[]) AND NOT deleted`,
    [sources],
  );
  const groups = new Map<string, string[]>();
  for (const r of found) {
    const key = r.profile_id ?? `none:${r.source}:${r.source_record_id}`;
    groups.set(key, [...(groups.get(key) ?? []), `${r.source}:${r.source_record_id}`]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * Where the copies the API reads disagree with what they copy, for the given sources' records: an
 * identifier whose `profile_id` is not its record's (or whose record is deleted or gone), a profile whose
 * `consents` are not its `profile_consents` rows. A lookup or an audience would answer with the wrong
 * profile or the wrong consent. Empty when all agree.
 */
export async function staleCopies(db: Queryable, sources: string[]): Promise<string[]> {
  const identifiers = await rows<{ type: string; record_id: string }>(
    db,
    `SELECT i.type, i.record_id FROM identifiers i LEFT JOIN source_records s ON s.id = i.record_id
      WHERE i.record_id IN (SELECT id FROM source_records WHERE source = ANY($1::text[]))
        AND (s.id IS NULL OR s.deleted OR s.profile_id IS DISTINCT FROM i.profile_id)`,
    [sources],
  );
  const profiles = await rows<{ id: string }>(
    db,
    `SELECT p.id FROM profiles p
      WHERE p.id IN (SELECT profile_id FROM source_records WHERE source = ANY($1::text[]))
        AND p.consents IS DISTINCT FROM (SELECT COALESCE(jsonb_agg(jsonb_build_object('channel', channel, 'purpose', purpose, 'status', status) ORDER BY channel, purpose), '[]'::jsonb)
                                            FROM profile_consents c WHERE c.profile_id = p.id)`,
    [sources],
  );
  return [...identifiers.map((i) => `identifier ${i.type} of record ${i.record_id}`), ...profiles.map((p) => `consents of profile ${p.id}`)];
}

/** Everything the hub holds about the given sources' records and their profiles, for before/after comparison. */
export async function snapshot(db: Client, sources: string[]): Promise<unknown> {
  const q = (sql: string) => db.query(sql, [sources]).then((r) => r.rows);
  const recordIds = `SELECT id FROM source_records WHERE source = ANY($1::text[])`;
  const profileIds = `SELECT profile_id FROM source_records WHERE source = ANY($1::text[]) AND profile_id IS NOT NULL`;
  return {
    records: await q(`SELECT id, source, source_record_id, record_version, last_event_id, deleted, attributes, identifiers, profile_id, updated_at FROM source_records WHERE source = ANY($1::text[]) ORDER BY source, source_record_id`),
    profiles: await q(`SELECT id, status, version, golden, lineage, consents, record_count, merged_into, updated_at FROM profiles WHERE id IN (${profileIds}) ORDER BY id`),
    identifiers: await q(`SELECT type, value, record_id, profile_id FROM identifiers WHERE record_id IN (${recordIds}) ORDER BY 1, 2, 3`),
    links: await q(`SELECT record_a, record_b, profile_id, score, rule, evidence FROM profile_links WHERE record_a IN (${recordIds}) ORDER BY 1, 2`),
    review: await q(`SELECT record_a, record_b, status, score FROM review_queue WHERE record_a IN (${recordIds}) ORDER BY 1, 2`),
    consents: await q(`SELECT profile_id, channel, purpose, status, updated_at FROM profile_consents WHERE profile_id IN (${profileIds}) ORDER BY 1, 2, 3`),
    outbox: await q(`SELECT id, profile_id, change FROM profile_outbox WHERE profile_id IN (${profileIds}) ORDER BY id`),
  };
}

/**
 * What one resolver makes of exactly these events, resolved in memory in the given batches and order
 * (the streaming resolver's own code, without a database): the profiles as `clustersOf` gives them.
 */
export async function clustersInProcess(batches: CustomerEventV1[][], sources: string[]): Promise<string[][]> {
  const pop = resolveOffline(batches.map((batch) => batch.map(recordChange)));
  const wanted = new Set(sources);
  const groups = new Map<string, string[]>();
  for (const slot of pop.liveSlots()) {
    const [source, recordId] = pop.sortKeyOf(slot).split('\u0000');
    if (!wanted.has(source)) continue;
    const key = pop.profileOf[slot] ?? `none:${source}:${recordId}`;
    groups.set(key, [...(groups.get(key) ?? []), `${source}:${recordId}`]);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
