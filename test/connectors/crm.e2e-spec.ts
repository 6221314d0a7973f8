import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { DEAD_LETTER_HEADERS, TOPICS } from '@tandem/contracts';
import { CrmSimulator, generateCustomerBase } from '@tandem/sandbox';
import { eventually, REPO_ROOT, RunningService, startService, waitForReadiness } from '../support/services';
import { identityGroupAtEnd } from '../support/kafka-group';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/**
 * The CRM connector against a simulated HubSpot-style API, the real Kafka, the identity app and
 * PostgreSQL: contacts end up in source_records, a kill mid-pull loses nothing and applies nothing
 * twice, a poison contact is dead-lettered, faults back off and recover, and IT can pause/resync.
 */
describe('CRM connector end to end', () => {
  const run = Date.now().toString(36);
  const source = `crm-${run}`;
  const base = generateCustomerBase({ people: 200, seed: 11 });
  const crm = new CrmSimulator({ contacts: base.crmContacts, pageDelayMs: 100 });
  const poison = crm.upsert({ email: `${'x'.repeat(400)}@example.invalid`, firstname: 'Poison' });
  let db: Client;
  let identity: RunningService;
  let connectors: RunningService;
  let crmUrl: string;
  let identityGroup: string;

  const env = () => ({
    SANDBOX_ENABLED: 'false',
    CRM_BASE_URL: crmUrl,
    CRM_SOURCE: source,
    CRM_PAGE_SIZE: '10',
    CRM_POLL_INTERVAL_MS: '300',
    CRM_MAX_BACKOFF_MS: '2000',
    IDENTITY_CONSUMER_GROUP: identityGroup,
  });
  const connectorRow = async () => (await db.query('SELECT state, cursor, events_total, error_count FROM connectors WHERE name = $1', [source])).rows[0];
  // Asynchronous on purpose: the simulated CRM runs in this process and must keep answering.
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), ...args], { env: { ...process.env, CONNECTORS_URL: connectors.url }, timeout: 90000 });
  const storedCount = async () => Number((await db.query('SELECT count(*) FROM source_records WHERE source = $1', [source])).rows[0].count);

  beforeAll(async () => {
    crmUrl = await crm.start();
    identityGroup = await identityGroupAtEnd('e2e-crm-identity');
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    // The first two calls are rate-limited: the connector must wait what Retry-After says.
    crm.injectFault({ status: 429, count: 2, retryAfterSeconds: 1 });
    [identity, connectors] = await Promise.all([startService('identity', env()), startService('connectors', env())]);
    await Promise.all([waitForReadiness(identity), waitForReadiness(connectors)]);
  });

  afterAll(async () => {
    await Promise.all([connectors?.stop(), identity?.stop()]);
    await crm.stop();
    // This run's connector row only; its events and records stay, as every suite's do.
    await db?.query('DELETE FROM connectors WHERE name = $1', [source]);
    await db?.end();
  });

  it('should honour Retry-After on 429, then resume after a kill mid-pull from its checkpoint with no loss and no duplicate effect', async () => {
    const liveContacts = crm.size; // includes the poison contact
    const midway = await eventually(async () => {
      const row = await connectorRow();
      return row && Number(row.events_total) >= 40 ? row : undefined;
    }, 60000, 'the first pages to be acknowledged');
    connectors.process.kill('SIGKILL');
    await connectors.exited;
    // A checkpoint update sent just before the kill may still commit on the server: let it land.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { cursor } = await connectorRow();
    const [checkpoint, checkpointId] = /contacts=([^;/]+)\/([^;]+)/.exec(cursor)!.slice(1);
    expect(midway.state).toBe('running');
    // Killed mid-pull: the checkpoint is short of the newest contact, so the restart has work left.
    const newest = Math.max(...crm.list().map((c) => Date.parse(c.updatedAt)));
    expect(Date.parse(checkpoint)).toBeLessThan(newest);

    const [first429, second429, afterWait] = crm.requests;
    expect([first429.status, second429.status]).toEqual([429, 429]);
    expect(afterWait.at - second429.at).toBeGreaterThanOrEqual(900);

    const restartedAt = Date.now();
    connectors = await startService('connectors', env());
    await waitForReadiness(connectors);
    const resumedWith = await eventually(async () => crm.requests.find((r) => r.at >= restartedAt && r.status === 200), 60000, 'the first pull after restart');
    // One millisecond before the last acknowledged contact; the ones already taken are skipped.
    expect(resumedWith.query.updatedAfter).toBe(new Date(Date.parse(checkpoint) - 1).toISOString());
    expect(crm.get(checkpointId)!.updatedAt).toBe(checkpoint);

    await eventually(async () => ((await storedCount()) === liveContacts - 1 ? true : undefined), 90000, 'every valid contact in source_records');
    const versions = await db.query('SELECT source_record_id, record_version FROM source_records WHERE source = $1', [source]);
    for (const row of versions.rows) expect(Number(row.record_version)).toBe(Date.parse(crm.get(row.source_record_id)!.updatedAt));
    const status = await request(connectors.url).get(`/v1/connectors/${source}`).expect(200);
    expect(status.body).toMatchObject({ kind: 'crm', state: 'running', deadLetteredTotal: 1 });
    expect(status.body.errorCount).toBeGreaterThanOrEqual(2);
  });

  it('should send a contact that breaks the contract to the dead-letter topic with its reason', async () => {
    const kafka = new Kafka({ brokers, clientId: `e2e-crm-dlq-${run}`, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `e2e-crm-dlq-${run}` });
    await consumer.connect();
    try {
      const letters: { key: string; error: string; connector: string; value: string }[] = [];
      await consumer.subscribe({ topic: TOPICS.customerEventsDeadLetter, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          if (key.startsWith(`${source}:`)) {
            letters.push({ key, error: message.headers?.[DEAD_LETTER_HEADERS.error]?.toString() ?? '', connector: message.headers?.[DEAD_LETTER_HEADERS.connector]?.toString() ?? '', value: message.value?.toString() ?? '' });
          }
        },
      });
      const letter = await eventually(async () => letters.find((l) => l.key === `${source}:${poison.id}`), 60000, 'the poison contact in the dead-letter topic');
      expect(letter.error).toContain('identifiers');
      expect(letter.connector).toBe(source);
      expect(JSON.parse(letter.value)).toMatchObject({ id: poison.id, properties: { firstname: 'Poison' } });
    } finally {
      await consumer.disconnect();
    }
  });

  it('should pick up an edit and a deletion made in the CRM', async () => {
    const [edited, deleted] = [base.crmContacts[3].id, base.crmContacts[4].id];
    const after = crm.upsert({ city: 'Elsewhere' }, edited);
    crm.archive(deleted);
    await eventually(async () => {
      const rows = (await db.query('SELECT source_record_id, record_version, deleted, attributes FROM source_records WHERE source = $1 AND source_record_id = ANY($2)', [source, [edited, deleted]])).rows;
      const e = rows.find((r) => r.source_record_id === edited);
      const d = rows.find((r) => r.source_record_id === deleted);
      return e && Number(e.record_version) === Date.parse(after.updatedAt) && e.attributes.city === 'Elsewhere' && d?.deleted ? true : undefined;
    }, 60000, 'the edit and the deletion in source_records');
  });

  it('should show backing-off while the CRM fails and recover without an operator', async () => {
    crm.injectFault({ status: 503, count: 3, retryAfterSeconds: 1 });
    await eventually(async () => ((await request(connectors.url).get(`/v1/connectors/${source}`)).body.state === 'backing-off' ? true : undefined), 40000, 'state backing-off');
    crm.upsert({ city: 'Recovered' }, base.crmContacts[5].id);
    await eventually(async () => {
      const body = (await request(connectors.url).get(`/v1/connectors/${source}`)).body;
      const row = (await db.query('SELECT attributes FROM source_records WHERE source = $1 AND source_record_id = $2', [source, base.crmContacts[5].id])).rows[0];
      return body.state === 'running' && row?.attributes.city === 'Recovered' ? true : undefined;
    }, 60000, 'recovery after the faults');
  });

  it('should stop pulling while paused, and resync from the beginning on request', async () => {
    await request(connectors.url).post(`/v1/connectors/${source}/pause`).expect(200).expect((r) => expect(r.body.state).toBe('paused'));
    await new Promise((resolve) => setTimeout(resolve, 800)); // a poll already under way may finish
    const callsWhilePaused = crm.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(crm.requests.length).toBe(callsWhilePaused);

    // IT's command line, as an operator would use it: resume, then a resync that waits until done.
    expect((await cli('connectors', 'resume', source)).stdout).toBe(`${source}: running\n`);
    const resync = await cli('connectors', 'resync', source);
    expect(resync.stdout).toContain(`${source}: resync finished, ${crm.size - 1} events`);
    const listed = await cli('connectors', 'list');
    expect(listed.stdout).toMatch(new RegExp(`^${source} +crm +running`, 'm'));
    const done = (await request(connectors.url).get(`/v1/connectors/${source}`).expect(200)).body;
    expect(done.resync.events).toBe(crm.size - 1);
    expect(done.resync.total).toBe(crm.size);
    // Re-pulled contacts are the same events: still one row per contact, each at its latest version.
    expect(await storedCount()).toBe(crm.size - 1);
    await request(connectors.url).post(`/v1/connectors/${source}/resync`).send({ fromCursor: 'yesterday' }).expect(400);
  });
});
