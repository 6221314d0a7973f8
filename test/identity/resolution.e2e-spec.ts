import { randomUUID } from 'node:crypto';
import { Admin, Consumer, Kafka } from 'kafkajs';
import { Client } from 'pg';
import { customerEventId, CustomerEventV1, TOPICS } from '@tandem/contracts';
import { SECRET_NAMES, suppressErased } from '@tandem/governance';
import { hubModel, RecordNormalizer } from '@tandem/profiles';
import request from 'supertest';
import { eventually, RunningService, startService, waitForReadiness } from '../support/services';
import { peopleDrafts, peopleEvents, shuffled, sourcesFor, unmistakableDrafts } from '../support/people';
import { caughtUp, clustersInProcess, clustersOf, createTopic, kafka, produce, snapshot, staleCopies } from './support';

const run = `r${Date.now().toString(36)}`;
const topic = `tandem.e2e.identity-resolution-${run}`;
const sources = Object.values(sourcesFor(run));
const events = peopleEvents(run);
const ref = (source: string, id: string) => `${source}:${id}`;
const { crm, erp, mkt } = sourcesFor(run);

// Who is who, as a person reading the records would group them.
const expected = [
  [ref(crm, 'anna'), ref(erp, 'C-anna'), ref(mkt, 'sub-anna')],
  [ref(crm, 'carl'), ref(erp, 'C-carl')],
  [ref(crm, 'james-1')],
  [ref(crm, 'katherine'), ref(erp, 'C-kate')],
  [ref(crm, 'mia')],
  [ref(crm, 'william'), ref(erp, 'C-william')],
  [ref(erp, 'C-freya')],
  [ref(mkt, 'james-2')],
  [ref(mkt, 'sub-oscar')],
]
  .map((g) => g.sort())
  .sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** A made-up person's record, as a source would send it. */
function event(source: string, id: string, email: string, version = 1, givenName = 'Erased'): CustomerEventV1 {
  return {
    schemaVersion: 1,
    eventId: customerEventId(source, id, version),
    source,
    sourceRecordId: id,
    recordVersion: version,
    kind: 'customer.upserted',
    occurredAt: new Date().toISOString(),
    identifiers: [{ type: 'email', value: email }],
    attributes: { givenName, familyName: `Person${run}` },
  };
}

describe('identity resolution: records in, golden profiles out', () => {
  let db: Client;
  let k: Kafka;
  let admin: Admin;
  let identity: RunningService | undefined;
  let changeConsumer: Consumer;
  const changes: Array<{ key: string; value: { change: string; golden?: { givenName?: string } } }> = [];
  const env = (group: string) => ({ IDENTITY_CONSUMER_GROUP: group, IDENTITY_INGEST_TOPIC: topic, IDENTITY_BATCH_SIZE: '50' });

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    k = kafka(`e2e-resolution-${run}`);
    admin = k.admin();
    await admin.connect();
    await createTopic(admin, topic, 6);
  });

  afterAll(async () => {
    await identity?.stop();
    await changeConsumer?.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
    await db?.end();
  });

  it('should make the same profiles whatever order the records arrive in, one at a time or in one batch', async () => {
    const orders = [
      [events],
      events.map((e) => [e]),
      shuffled(events, 1).map((e) => [e]),
      shuffled(events, 2).map((e) => [e]),
      [...events].reverse().map((e) => [e]),
      [shuffled(events, 3).slice(0, 5), shuffled(events, 3).slice(5)],
    ];
    for (const batches of orders) expect(await clustersInProcess(batches, sources)).toEqual(expected);
  });

  it('should resolve events from Kafka into those profiles, with lineage, links and most-restrictive consent', async () => {
    identity = await startService('identity', env(`e2e-resolution-${run}`));
    await waitForReadiness(identity);
    // Follow the shared change topic from now on: the outbox is one table, and whichever identity
    // instance holds the relay lock (another suite's, perhaps) publishes this run's changes there.
    changeConsumer = k.consumer({ groupId: `e2e-resolution-changes-${run}` });
    await changeConsumer.connect();
    const joined = new Promise<void>((resolve) => changeConsumer.on(changeConsumer.events.GROUP_JOIN, () => resolve()));
    await changeConsumer.subscribe({ topic: TOPICS.profileChanges, fromBeginning: false });
    await changeConsumer.run({
      eachMessage: async ({ message }) => {
        if (message.key && message.value) changes.push({ key: message.key.toString(), value: JSON.parse(message.value.toString()) });
      },
    });
    await joined;
    await produce(k, topic, shuffled(events, 7));
    const clusters = await eventually(async () => {
      const c = await clustersOf(db, sources);
      return JSON.stringify(c) === JSON.stringify(expected) ? c : undefined;
    }, 60000, 'the expected profiles').catch((error) => {
      process.stderr.write(identity!.stdout().slice(-3000));
      throw error;
    });
    expect(clusters).toEqual(expected);

    const anna = (await request(identity.url).get(`/v1/records/${crm}/anna/profile`).expect(200)).body;
    expect(anna.records).toHaveLength(3);
    expect(anna.golden.givenName).toBe('Anna');
    expect(anna.golden.emails).toEqual([{ value: expect.stringContaining('anna.berg.'), verified: false }]);
    expect(anna.lineage.givenName).toEqual({ source: expect.any(String), sourceRecordId: expect.any(String), occurredAt: expect.any(String), rule: 'most-recent' });
    expect(anna.links.length).toBeGreaterThanOrEqual(2);
    expect(anna.links[0].evidence.length).toBeGreaterThan(0);
    expect(anna.links[0].evidence).toContainEqual({ field: 'givenName', kind: 'givenName', level: expect.any(String), weight: expect.any(Number), tfAdjustment: 0 });
    // The marketing record withdrew email consent; the CRM granted it: the most restrictive wins.
    expect(anna.consents).toEqual([{ channel: 'email', purpose: '', status: 'withdrawn' }]);
    expect(await staleCopies(db, sources)).toEqual([]);

    // The household pair is recorded as one, not merged, and not left waiting for a steward.
    const withFreya = async (status: string): Promise<boolean> =>
      ((await request(identity!.url).get(`/v1/review-queue?source=${erp}&status=${status}`).expect(200)).body as Array<{ recordA: { sourceRecordId: string }; recordB: { sourceRecordId: string } }>).some((item) =>
        [item.recordA.sourceRecordId, item.recordB.sourceRecordId].includes('C-freya'),
      );
    expect(await withFreya('household')).toBe(true);
    expect(await withFreya('open')).toBe(false);
  });

  it('should publish each profile to the change topic, keyed by profile id', async () => {
    const anna = (await request(identity!.url).get(`/v1/records/${crm}/anna/profile`).expect(200)).body;
    try {
      await eventually(async () => (changes.some((m) => m.key === anna.id && m.value.golden?.givenName === 'Anna') ? true : undefined), 30000, "Anna's profile on the change topic");
      const active = (await db.query(`SELECT DISTINCT profile_id FROM source_records WHERE source = ANY($1::text[])`, [sources])).rows.map((r) => r.profile_id);
      await eventually(async () => (active.every((id) => changes.some((m) => m.key === id)) ? true : undefined), 30000, 'every profile on the change topic');
    } finally {
      await changeConsumer.disconnect();
    }
  });

  it('should keep the profile, identifier rows and links when new versions change only what the matcher ignores, and update golden record and consent', async () => {
    // A person no other run's people look like (William could: see unmistakableDrafts).
    const person = (version: number) => peopleEvents(run, version, unmistakableDrafts(run));
    await produce(k, topic, person(1));
    const before = await eventually(async () => {
      const res = await request(identity!.url).get(`/v1/records/${crm}/unmistakable/profile`);
      return res.status === 200 && res.body.records.length === 2 ? res.body : undefined;
    }, 30000, "the CRM contact and the ERP customer in one profile");
    // xmin changes whenever a row is written: identifier rows and links that are left alone keep theirs.
    const rows = async () => ({
      identifiers: (await db.query(`SELECT i.record_id, i.value, i.xmin::text AS x FROM identifiers i JOIN source_records s ON s.id = i.record_id WHERE s.profile_id = $1 ORDER BY 1, 2`, [before.id])).rows,
      links: (await db.query(`SELECT record_a, record_b, xmin::text AS x FROM profile_links WHERE profile_id = $1 ORDER BY 1, 2`, [before.id])).rows,
    });
    const stored = await rows();
    expect(stored.identifiers).toHaveLength(3);
    expect(stored.links).toHaveLength(1);
    // The ERP sends its customer again with a new locale and order aggregates; the CRM contact unsubscribes.
    const updates = person(2).map((e) =>
      e.source === erp
        ? { ...e, attributes: { ...e.attributes, locale: 'en-GB' }, personalization: { lastOrderAt: e.occurredAt, orderCount: 3, lifetimeValue: 120, currency: 'EUR' } }
        : { ...e, kind: 'email.unsubscribed' as const },
    ) as CustomerEventV1[];
    await produce(k, topic, updates);
    const after = await eventually(async () => {
      const p = (await request(identity!.url).get(`/v1/profiles/${before.id}`).expect(200)).body;
      return p.golden.locale === 'en-GB' && p.consents.length > 0 ? p : undefined;
    }, 30000, 'the profile with the new locale and consent');
    expect(after.id).toBe(before.id);
    expect(after.records).toEqual(before.records);
    expect(after.consents).toEqual([{ channel: 'email', purpose: '', status: 'withdrawn' }]);
    expect(after.lineage.locale).toMatchObject({ source: erp, sourceRecordId: 'C-unmistakable' });
    const versions = (await db.query(`SELECT record_version FROM source_records WHERE profile_id = $1`, [before.id])).rows.map((r) => r.record_version);
    expect(versions).toEqual(['2', '2']);
    expect(await rows()).toEqual(stored);
    expect(await staleCopies(db, sources)).toEqual([]);
  });

  it('should take a deleted record out of its profile, recompute golden record and consent, and retire a profile left empty', async () => {
    const anna = (await request(identity!.url).get(`/v1/records/${crm}/anna/profile`).expect(200)).body;
    const mia = (await request(identity!.url).get(`/v1/records/${crm}/mia/profile`).expect(200)).body;
    const deletions = peopleEvents(run, 2, peopleDrafts(run).filter((d) => d.id === 'sub-anna' || d.id === 'mia')).map((e) => ({ ...e, kind: 'customer.deleted' as const }));
    await produce(k, topic, deletions);
    const after = await eventually(async () => {
      const p = (await request(identity!.url).get(`/v1/profiles/${anna.id}`).expect(200)).body;
      return p.records.length === 2 ? p : undefined;
    }, 30000, "Anna's marketing record leaving her profile");
    expect(after.golden.sourceRecords).toEqual([{ source: crm, sourceRecordId: 'anna' }, { source: erp, sourceRecordId: 'C-anna' }]);
    // The withdrawal came from the deleted record; the CRM's grant is what remains.
    expect(after.consents).toEqual([{ channel: 'email', purpose: '', status: 'granted' }]);
    const retired = await eventually(async () => {
      const p = (await request(identity!.url).get(`/v1/profiles/${mia.id}`).expect(200)).body;
      return p.status === 'retired' ? p : undefined;
    }, 30000, "Mia's profile retired");
    expect(retired.records).toEqual([]);
  });

  it('should not store a new record of an erased person, even with their address written another way', async () => {
    // The person was erased with a Gmail address (kept only as a keyed hash, as the API's erasure keeps it).
    const written = `erased.person.${run}@gmail.com`;
    const [stored] = new RecordNormalizer(hubModel()).identifiers({ source: mkt, identifiers: [{ type: 'email', value: written }] });
    const [{ secret }] = (await db.query(`SELECT secret FROM governance_secrets WHERE name = $1`, [SECRET_NAMES.erasureSalt])).rows;
    await suppressErased(db, secret, randomUUID(), [{ source: crm, sourceRecordId: `erased-${run}`, identifiers: [stored] }]);
    // Another system signs them up again with the dots moved and a tag, and a new person arrives beside them.
    const again = event(mkt, `again-${run}`, `Erased.Per.Son.${run}+news@googlemail.com`);
    const newcomer = event(mkt, `newcomer-${run}`, `newcomer.${run}@example.invalid`);
    await produce(k, topic, [again, newcomer]);
    await eventually(async () => ((await db.query(`SELECT 1 FROM source_records WHERE source = $1 AND source_record_id = $2`, [mkt, newcomer.sourceRecordId])).rows.length ? true : undefined), 30000, 'the newcomer stored');
    const left = await db.query(`SELECT 1 FROM source_records WHERE source = $1 AND source_record_id = $2`, [mkt, again.sourceRecordId]);
    expect(left.rows).toEqual([]);
    const found = await db.query(`SELECT 1 FROM identifiers WHERE type = 'email' AND value = $1`, [stored.value]);
    expect(found.rows).toEqual([]);
  });

  it('should carry on, with the new version stored and resolved, when a record was stored behind its back', async () => {
    const id = `by-hand-${run}`;
    // A backfill that bypassed the resolver (and its log): the running instance never heard of this record.
    await db.query(
      `INSERT INTO source_records (source, source_record_id, record_version, last_event_id, kind, identifiers, attributes, occurred_at)
       VALUES ($1, $2, 1, $3, 'customer.upserted', '[]', '{"givenName": "Hand"}', now())`,
      [mkt, id, randomUUID()],
    );
    await produce(k, topic, [event(mkt, id, `by.hand.${run}@example.invalid`, 2, 'Later')]);
    const stored = await eventually(async () => {
      const rows = (await db.query(`SELECT record_version, attributes->>'givenName' AS given, profile_id FROM source_records WHERE source = $1 AND source_record_id = $2`, [mkt, id])).rows;
      return rows[0]?.record_version === '2' && rows[0].profile_id ? rows[0] : undefined;
    }, 30000, 'the newer version stored with a profile');
    expect(stored.given).toBe('Later');
    const profile = (await request(identity!.url).get(`/v1/profiles/${stored.profile_id}`).expect(200)).body;
    // Only this run's records: an earlier run's "Later Person<run>" (a run tag a few minutes older) may rightly match.
    expect(profile.records.filter((r: { source: string }) => r.source === mkt)).toEqual([{ source: mkt, sourceRecordId: id }]);
  });

  it('should leave the database unchanged when the same stream is replayed from the start by a new consumer group', async () => {
    const before = await snapshot(db, sources);
    await identity!.stop();
    const group = `e2e-resolution-replay-${run}`;
    identity = await startService('identity', env(group));
    await waitForReadiness(identity);
    // And once more on the topic, as a producer retry or a resync would send it.
    await produce(k, topic, shuffled(events, 11));
    await caughtUp(admin, group, topic);
    expect(await snapshot(db, sources)).toEqual(before);
  });
});
