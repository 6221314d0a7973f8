import { Admin, Kafka } from 'kafkajs';
import { Client } from 'pg';
import { CustomerEventV1 } from '@tandem/contracts';
import { eventually, RunningService, startService, waitForReadiness } from '../support/services';
import { peopleDrafts, peopleEvents, shuffled, sourcesFor } from '../support/people';
import { caughtUp, clustersInProcess, clustersOf, createTopic, kafka, produce, staleCopies } from './support';

const run = `c${Date.now().toString(36)}`;

/** Several universes of made-up people; within each, one person's records go to different partitions. */
function universe(prefix: string, count: number, version = 1): { events: CustomerEventV1[]; sources: string[] } {
  const events: CustomerEventV1[] = [];
  const sources: string[] = [];
  for (let u = 0; u < count; u++) {
    const r = `${prefix}${u}`;
    sources.push(...Object.values(sourcesFor(r)));
    events.push(...peopleEvents(r, version, peopleDrafts(r)));
  }
  return { events, sources };
}

describe('identity resolution with several instances', () => {
  let db: Client;
  let k: Kafka;
  let admin: Admin;
  const instances: RunningService[] = [];
  const topics: string[] = [];

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    k = kafka(`e2e-concurrency-${run}`);
    admin = k.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await admin?.deleteTopics({ topics }).catch(() => undefined);
    await admin?.disconnect();
    await db?.end();
  });

  async function startGroup(topic: string, group: string, count: number): Promise<RunningService[]> {
    const env = { IDENTITY_CONSUMER_GROUP: group, IDENTITY_INGEST_TOPIC: topic, IDENTITY_OUTBOX_RELAY: 'off', IDENTITY_BATCH_SIZE: '8' };
    const started = await Promise.all(Array.from({ length: count }, () => startService('identity', env)));
    instances.push(...started);
    await Promise.all(started.map((s) => waitForReadiness(s)));
    await eventually(async () => {
      const { groups } = await admin.describeGroups([group]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === count ? true : undefined;
    }, 60000, `${count} members in ${group}`);
    return started;
  }

  it('should end with exactly the profiles one resolver makes when 3 instances on 6 partitions get one person\'s records at the same moment', async () => {
    const topic = `tandem.e2e.identity-concurrency-${run}`;
    topics.push(topic);
    await createTopic(admin, topic, 6);
    const { events, sources } = universe(`${run}m`, 8);
    const expected = await clustersInProcess([events], sources);
    expect(expected.filter((c) => c.length === 3)).toHaveLength(8);

    const group = `e2e-concurrency-${run}`;
    await startGroup(topic, group, 3);
    // Record i of every universe goes to partition i mod 6: Anna's three records sit on three partitions.
    const perUniverse = events.length / 8;
    await produce(k, topic, events, (_e, i) => (i % perUniverse) % 6);
    await caughtUp(admin, group, topic, 90000);
    expect(await clustersOf(db, sources)).toEqual(expected);
    const orphans = await db.query(`SELECT count(*)::int AS n FROM source_records WHERE source = ANY($1::text[]) AND profile_id IS NULL`, [sources]);
    expect(orphans.rows[0].n).toBe(0);
    expect(await staleCopies(db, sources)).toEqual([]);
  });

  it('should lose nothing and double nothing when an instance is killed with SIGKILL mid-stream and restarted', async () => {
    const topic = `tandem.e2e.identity-kill-${run}`;
    topics.push(topic);
    await createTopic(admin, topic, 6);
    const v1 = universe(`${run}k`, 12, 1);
    const v2 = universe(`${run}k`, 12, 2);
    const sources = v1.sources;
    // Universe 0's people in sources outside this run's, as an earlier run's look-alikes now and then are
    // (the test database keeps every run's records): they share profiles with this run's records.
    const lookAlikes = peopleEvents(`${run}x`, 1, peopleDrafts(`${run}k0`));
    const stream = [...lookAlikes, ...shuffled(v1.events, 5), ...shuffled(v2.events, 6)];
    const expected = await clustersInProcess([stream], sources);

    const group = `e2e-kill-${run}`;
    const [victim] = await startGroup(topic, group, 3);
    await produce(k, topic, stream);
    await eventually(async () => {
      const r = await db.query(`SELECT count(*)::int AS n FROM source_records WHERE source = ANY($1::text[])`, [sources]);
      return r.rows[0].n > 20 ? true : undefined;
    }, 30000, 'the first records stored');
    await victim.stop('SIGKILL');
    instances.push(await startService('identity', { IDENTITY_CONSUMER_GROUP: group, IDENTITY_INGEST_TOPIC: topic, IDENTITY_OUTBOX_RELAY: 'off', IDENTITY_BATCH_SIZE: '8' }));
    await caughtUp(admin, group, topic, 90000);

    expect(await clustersOf(db, sources)).toEqual(expected);
    const stored = await db.query(
      `SELECT count(*)::int AS records, count(*) FILTER (WHERE record_version = 2)::int AS newest, count(*) FILTER (WHERE profile_id IS NULL)::int AS orphans
         FROM source_records WHERE source = ANY($1::text[])`,
      [sources],
    );
    expect(stored.rows[0]).toEqual({ records: v1.events.length, newest: v1.events.length, orphans: 0 });
    // Every profile of this run's records is active and counts exactly the records that point at it, other
    // sources' records included (counting only this run's would report every profile shared with another run).
    const inconsistent = await db.query(
      `SELECT p.id FROM profiles p
        WHERE p.id IN (SELECT profile_id FROM source_records WHERE source = ANY($1::text[]))
          AND (p.status <> 'active' OR p.record_count <> (SELECT count(*) FROM source_records s WHERE s.profile_id = p.id))`,
      [sources],
    );
    expect(inconsistent.rows).toEqual([]);
    // What the API reads (identifier → profile, profile consent) agrees with the records after the kill and the retries.
    expect(await staleCopies(db, sources)).toEqual([]);
  });
});
