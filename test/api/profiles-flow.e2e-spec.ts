import { Admin, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { customerEventId, customerEventKey, CustomerEventV1 } from '@tandem/contracts';
import { eventually, RunningService, startService, waitForReadiness } from '../support/services';
import { peopleDrafts, peopleEvents, runTag, sourcesFor } from '../support/people';
import { createClientWithCli, tokenFor } from './support';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/**
 * The read side over the real pipeline: events on Kafka, resolved by the identity app into
 * PostgreSQL, read through the governed API. The suite has its own topic and consumer group.
 */
describe('governed API over resolved profiles: consent after merge, audiences, erasure', () => {
  const run = `a${Date.now().toString(36)}`;
  const topic = `tandem.e2e.api-profiles-${run}`;
  const group = `e2e-api-${run}`;
  const { crm, erp, mkt } = sourcesFor(run);
  const t = runTag(run);
  const mail = (local: string) => `${local}.${t}@example.invalid`;
  const all = peopleEvents(run);
  const byRecord = (source: string, id: string) => all.find((e) => e.source === source && e.sourceRecordId === id)!;
  const williamPhone = peopleDrafts(run).find((d) => d.id === 'william')!.identifiers[0].value;

  let db: Client;
  let kafka: Kafka;
  let admin: Admin;
  let identity: RunningService;
  let api: RunningService;
  let marketing: string;
  let office: string;

  const produce = async (events: CustomerEventV1[]) => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: customerEventKey(e.source, e.sourceRecordId), value: JSON.stringify(e) })) });
    } finally {
      await producer.disconnect();
    }
  };
  /** Until the resolver has committed every event on the suite's topic. */
  const caughtUp = () =>
    eventually(async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const at = new Map(committed.partitions.map((p) => [p.partition, Number(p.offset)]));
      return ends.every((e) => Number(e.high) === 0 || at.get(e.partition) === Number(e.high)) ? true : undefined;
    }, 90000, 'the resolver to catch up');
  const lookup = (query: string, token = marketing) => request(api.url).get(`/profiles/lookup?${query}`).auth(token, { type: 'bearer' });
  /** A newer version of a record with email consent granted (a consent.changed event as a connector sends it). */
  const granted = (e: CustomerEventV1): CustomerEventV1 => {
    const v = e.recordVersion + 1;
    return { ...peopleEvents(run, v).find((x) => x.source === e.source && x.sourceRecordId === e.sourceRecordId)!, kind: 'consent.changed', consents: [{ channel: 'email', status: 'granted' }] };
  };
  const resolve = async (body: string) => {
    const response = await request(api.url)
      .post('/audiences/resolve?purpose=email-marketing&channel=email')
      .auth(marketing, { type: 'bearer' })
      .set('content-type', 'application/x-ndjson')
      .send(body)
      .expect(200);
    const lines = response.text.trim().split('\n').map((line) => JSON.parse(line));
    return { recipients: lines.slice(0, -1), report: lines[lines.length - 1].report };
  };

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    kafka = new Kafka({ brokers, clientId: `e2e-api-${run}`, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    [identity, api] = await Promise.all([
      startService('identity', { IDENTITY_CONSUMER_GROUP: group, IDENTITY_INGEST_TOPIC: topic, IDENTITY_PROFILE_TOPIC: `${topic}.profiles`, IDENTITY_OUTBOX_RELAY: 'off', IDENTITY_BATCH_SIZE: '50' }),
      // Small chunks, so that a list of a few hundred rows is resolved in several (as a long one is in production).
      startService('api', { API_RATE_LIMIT_PER_SECOND: '1000', API_AUDIENCE_CHUNK_ROWS: '100' }),
    ]);
    await Promise.all([waitForReadiness(identity), waitForReadiness(api)]);
    const m = createClientWithCli(`mkt-${run}`, ['marketing']);
    const d = createClientWithCli(`office-${run}`, ['data-office']);
    [marketing, office] = await Promise.all([tokenFor(api.url, m), tokenFor(api.url, d)]);
  });

  afterAll(async () => {
    await Promise.all([identity?.stop(), api?.stop()]);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
    await db?.end();
  });

  it('should stop returning the email for email marketing once a consented record merges with an unsubscribed one', async () => {
    const annaMail = mail('anna.berg');
    await produce([byRecord(crm, 'anna')]);
    // The profile and its consent may become visible a moment apart: wait for the consented email.
    const before = await eventually(async () => {
      if (identity.process.exitCode !== null) throw new Error(`the identity app exited: ${identity.stderr().slice(-500)}`);
      const r = await lookup(`purpose=email-marketing&email=${encodeURIComponent(annaMail.toUpperCase())}`);
      return r.status === 200 && r.body.email ? r.body : undefined;
    }, 90000, 'Anna from the CRM, with her email consent');
    expect(before).toMatchObject({ attributes: { givenName: 'Anna' }, email: annaMail });

    await produce([byRecord(erp, 'C-anna'), byRecord(mkt, 'sub-anna')]);
    await caughtUp();
    const after = await lookup(`purpose=email-marketing&email=${encodeURIComponent(annaMail)}`).expect(200);
    expect(after.body.attributes.givenName).toBe('Anna');
    expect(after.body).not.toHaveProperty('email');
    // The data office sees why: the merged profile carries the most restrictive state, and the link that made it.
    const seen = await request(api.url).get(`/profiles/${after.body.id}?purpose=customer-service`).auth(office, { type: 'bearer' }).expect(200);
    expect(seen.body.consent.email).toBe('withdrawn');
    expect(seen.body.sourceRecords.map((r: { source: string }) => r.source).sort()).toEqual([crm, erp, mkt].sort());
    expect(seen.body.links.length).toBeGreaterThanOrEqual(2);
    expect(seen.body.links[0]).toMatchObject({ a: { source: expect.any(String) }, score: expect.any(Number), rule: expect.any(String), evidence: expect.anything() });
  });

  it('should resolve a campaign list to one recipient per person, with consent, and say what it removed', async () => {
    const rest = all.filter((e) => !e.sourceRecordId.includes('anna'));
    await produce([...rest, ...['william', 'carl', 'mia', 'katherine'].map((id) => granted(byRecord(crm, id)))]);
    await caughtUp();
    const rows = [
      { email: mail('anna.berg') },
      { source: erp, recordId: 'C-anna' },
      { email: ` ${mail('anna.berg').toUpperCase()} ` },
      { email: mail('w.okafor') },
      { phone: williamPhone },
      { source: crm, recordId: 'carl' },
      { source: erp, recordId: 'C-carl' },
      { email: mail('dunmore.family') },
      { email: mail('mia.t') },
      { email: mail('kpell') },
      { source: erp, recordId: 'C-kate' },
      { email: mail('jamesc.hull') },
      { email: mail('nobody') },
      { foo: 1 },
    ];
    const { recipients, report } = await resolve(rows.map((r) => JSON.stringify(r)).join('\n'));
    expect(report).toMatchObject({
      inputRows: 14,
      uniquePeople: 6,
      duplicatesRemoved: 5,
      recipients: 4,
      suppressed: { total: 2, noConsent: 2, erased: 0 },
      unknown: 1,
      ambiguous: 1,
      invalid: 1,
    });
    expect(recipients.map((r) => r.address).sort()).toEqual([mail('dunmore.family'), mail('kpell'), mail('mia.t'), mail('w.okafor')].sort());
    expect(new Set(recipients.map((r) => r.profileId)).size).toBe(4);
    expect(recipients.find((r) => r.address === mail('kpell')).attributes).toMatchObject({ givenName: expect.any(String) });
    expect(recipients[0].attributes).not.toHaveProperty('birthDate');

    const csv = await request(api.url)
      .post('/audiences/resolve?purpose=email-marketing&channel=email')
      .auth(marketing, { type: 'bearer' })
      .set('content-type', 'text/csv')
      .send(`email,source,recordId\n${mail('mia.t')},,\n,${crm},mia\n"${mail('MIA.T')}",,\n`)
      .expect(200);
    const csvLines = csv.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(csvLines).toHaveLength(2);
    expect(csvLines[1].report).toMatchObject({ inputRows: 3, recipients: 1, duplicatesRemoved: 2 });

    // The data office, searching the audit for a recipient, finds the audience's entry with the fields
    // that person was sent: the address and the attributes the answer carried, nothing else.
    const sentFields = (r: { attributes: object }) => ['email', ...Object.keys(r.attributes)].sort();
    const auditedFields = async (profileId: string, audienceId: string) => {
      const found = await request(api.url).get(`/audit?profileId=${profileId}&action=audience.resolve`).auth(office, { type: 'bearer' }).expect(200);
      return found.body.entries.filter((e: { detail: { audienceId: string } }) => e.detail.audienceId === audienceId).map((e: { fields: string[] }) => [...e.fields].sort());
    };
    for (const r of recipients) expect(await auditedFields(r.profileId, report.audienceId)).toEqual([sentFields(r)]);
    const audit = await db.query(`SELECT sum(cardinality(profile_ids))::int AS n FROM audit_log WHERE action = 'audience.resolve' AND detail->>'audienceId' = $1`, [report.audienceId]);
    expect(audit.rows).toEqual([{ n: 4 }]);
    // For customer service the policy shows phones too, and William has one: an audience by email
    // sends no phone, so none is in the audit (it used to list the phone and every attribute of the
    // part for each person).
    const forOffice = await request(api.url)
      .post('/audiences/resolve?purpose=customer-service&channel=email')
      .auth(office, { type: 'bearer' })
      .set('content-type', 'application/x-ndjson')
      .send(rows.map((r) => JSON.stringify(r)).join('\n'))
      .expect(200);
    const officeLines = forOffice.text.trim().split('\n').map((line) => JSON.parse(line));
    const officeRecipients = officeLines.slice(0, -1);
    expect(officeRecipients.map((r) => r.address).sort()).toEqual(recipients.map((r) => r.address).sort());
    expect(officeRecipients.some((r) => Object.keys(r.attributes).length > Object.keys(recipients[0].attributes).length)).toBe(true);
    for (const r of officeRecipients) {
      expect(r).not.toHaveProperty('phone');
      expect(await auditedFields(r.profileId, officeLines[officeLines.length - 1].report.audienceId)).toEqual([sentFields(r)]);
    }

    // The same list three times over, with strangers between: 162 rows, resolved in two chunks of at
    // most 100. A person is sent once whichever chunk names them again; every row is counted once.
    const strangers = (from: number) => Array.from({ length: 60 }, (_, i) => ({ email: mail(`stranger${from + i}`) }));
    const long = [...rows, ...strangers(0), ...rows, ...strangers(60), ...rows];
    const again = await resolve(long.map((r) => JSON.stringify(r)).join('\n'));
    expect(again.report).toMatchObject({
      inputRows: 162,
      uniquePeople: 6,
      duplicatesRemoved: 5 + 11 + 11,
      recipients: 4,
      suppressed: { total: 2, noConsent: 2, erased: 0 },
      unknown: 1 + 120 + 2,
      ambiguous: 3,
      invalid: 3,
    });
    expect(again.recipients.map((r) => r.address).sort()).toEqual(recipients.map((r) => r.address).sort());
    const longAudit = await db.query(`SELECT unnest(profile_ids)::text AS id FROM audit_log WHERE action = 'audience.resolve' AND detail->>'audienceId' = $1`, [again.report.audienceId]);
    expect(longAudit.rows.map((r) => r.id).sort()).toEqual(again.recipients.map((r) => r.profileId).sort());

    // The audit index's pending entries of these audiences are merged after them, not by a later read's audit insert.
    await db.query('CREATE EXTENSION IF NOT EXISTS pgstattuple');
    await eventually(async () => {
      const { rows } = await db.query(`SELECT pending_tuples FROM pgstatginindex('audit_log_profiles_idx'::regclass)`);
      return Number(rows[0].pending_tuples) === 0 ? true : undefined;
    }, 10000, 'the audit index pending list merged');
  });

  it('should erase a person everywhere and not let a re-sync or a new record with the same email bring them back', async () => {
    const william = await lookup(`purpose=personalization&email=${encodeURIComponent(mail('w.okafor'))}`).expect(200);
    const id = william.body.id as string;
    const exported = await request(api.url).get(`/data-subjects/${id}/export`).auth(office, { type: 'bearer' }).expect(200);
    expect(exported.body.sourceRecords.map((r: { source_record_id: string }) => r.source_record_id).sort()).toEqual(['C-william', 'william']);
    expect(JSON.stringify(exported.body)).toContain(mail('w.okafor'));

    // A dead letter of one of his records, as the connectors app records it, holds his data too.
    await db.query(
      `INSERT INTO dead_letters (dead_letter_topic, dead_letter_partition, dead_letter_offset, payload, reason, source, source_record_id, failed_at)
       VALUES ($1, 0, $2, $3, 'e2e: failed once', $4, 'william', now())`,
      [`${topic}.dlq`, Date.now(), Buffer.from(JSON.stringify({ email: mail('w.okafor') })), crm],
    );
    const erased = await request(api.url).post(`/data-subjects/${id}/erasure`).auth(office, { type: 'bearer' }).send({ reason: `ticket ${run}` }).expect(200);
    expect(erased.body.connectors).toEqual([
      expect.objectContaining({ source: crm, sourceRecords: 1, sourceRecordIds: ['william'], deadLetters: 1 }),
      expect.objectContaining({ source: erp, sourceRecords: 1, sourceRecordIds: ['C-william'] }),
    ]);
    expect((await db.query(`SELECT 1 FROM dead_letters WHERE source = $1 AND source_record_id = 'william'`, [crm])).rows).toEqual([]);
    const outbox = await db.query(`SELECT change, payload FROM profile_outbox WHERE profile_id = $1 ORDER BY id DESC LIMIT 1`, [id]);
    expect(outbox.rows[0]).toEqual({ change: 'erased', payload: null });
    await request(api.url).get(`/profiles/${id}?purpose=personalization`).auth(marketing, { type: 'bearer' }).expect(410);
    await request(api.url).post(`/data-subjects/${id}/erasure`).auth(office, { type: 'bearer' }).send({ reason: 'again' }).expect(410);

    // The CRM re-syncs William (a newer version), and another system creates him afresh with his email.
    const resync = peopleEvents(run, 7).find((e) => e.source === crm && e.sourceRecordId === 'william')!;
    const fresh = { ...resync, source: mkt, sourceRecordId: 'sub-william', eventId: customerEventId(mkt, 'sub-william', 7), identifiers: [{ type: 'email' as const, value: mail('w.okafor') }] };
    await produce([resync, fresh]);
    await caughtUp();
    const left = await db.query(`SELECT source, source_record_id FROM source_records WHERE (source, source_record_id) IN (($1, 'william'), ($2, 'C-william'), ($3, 'sub-william'))`, [crm, erp, mkt]);
    expect(left.rows).toEqual([]);
    await lookup(`purpose=personalization&email=${encodeURIComponent(mail('w.okafor'))}`).expect(404);
    // Each row counts, though each distinct identifier is looked up and hashed once.
    const erasedRows = [{ email: mail('w.okafor') }, { source: crm, recordId: 'william' }, { email: ` ${mail('w.okafor').toUpperCase()}` }, { source: crm, recordId: 'william' }, { email: mail('nobody.else') }, { email: mail('nobody.else') }];
    const { report } = await resolve(erasedRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(report).toMatchObject({ inputRows: 6, recipients: 0, suppressed: { erased: 4 }, unknown: 2 });
    const remembered = await db.query(`SELECT count(*)::int AS n FROM erasure_suppressions WHERE request_id = $1`, [erased.body.requestId]);
    expect(remembered.rows[0].n).toBeGreaterThanOrEqual(4);
    const stored = await db.query(`SELECT report::text AS report FROM erasure_requests WHERE id = $1`, [erased.body.requestId]);
    expect(stored.rows[0].report).not.toContain('okafor');
  });
});
