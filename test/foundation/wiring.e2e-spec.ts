import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { DEAD_LETTER_HEADERS, TOPICS } from '@tandem/contracts';
import { customerEvent } from '../support/events';
import { identityGroupAtEnd } from '../support/kafka-group';
import { eventually, RunningService, startService, waitForReadiness } from '../support/services';

const INGEST_KEY = 'e2e-ingest-key-0123456789';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

describe('foundation wiring: connectors → Kafka → identity → PostgreSQL', () => {
  let db: Client;
  let connectors: RunningService;
  let identity: RunningService;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    connectors = await startService('connectors', { CONNECTORS_INGEST_KEY: INGEST_KEY, SANDBOX_ENABLED: 'false' });
    await waitForReadiness(connectors); // the ingest topic exists from here on
    identity = await startService('identity', { IDENTITY_CONSUMER_GROUP: await identityGroupAtEnd('e2e-wiring') });
    await waitForReadiness(identity);
  });

  afterAll(async () => {
    await Promise.all([connectors?.stop(), identity?.stop()]);
    await db?.end();
  });

  const storedRecord = (sourceRecordId: string) =>
    db.query('SELECT record_version, attributes, updated_at FROM source_records WHERE source = $1 AND source_record_id = $2', ['crm', sourceRecordId]).then((r) => r.rows[0]);

  it('should store the newest version of a record when events are posted to the connectors app', async () => {
    const id = `wiring-${run}`;
    const v1 = customerEvent({ source: 'crm', sourceRecordId: id, recordVersion: 1 });
    const v2 = customerEvent({ source: 'crm', sourceRecordId: id, recordVersion: 2, attributes: { givenName: 'Testa', familyName: 'Personne', city: 'Elsewhere' } });

    await request(connectors.url).post('/v1/events').set('x-ingest-key', INGEST_KEY).set('x-correlation-id', `corr-${run}`).send({ events: [v1, v2] }).expect(202, { accepted: 2 });

    const row = await eventually(async () => {
      const found = await storedRecord(id);
      return found?.record_version === '2' ? found : undefined;
    }, 30000, 'the record in source_records');
    expect(row.attributes.city).toBe('Elsewhere');

    // An older version arriving late, and the same events redelivered, change nothing.
    await request(connectors.url).post('/v1/events').set('x-ingest-key', INGEST_KEY).send({ events: [v2, v1] }).expect(202);
    const marker = customerEvent({ source: 'crm', sourceRecordId: `${id}-marker`, recordVersion: 1 });
    await request(connectors.url).post('/v1/events').set('x-ingest-key', INGEST_KEY).send({ events: [marker] }).expect(202);
    await eventually(() => storedRecord(`${id}-marker`), 30000, 'the marker record');
    const after = await storedRecord(id);
    expect(after).toEqual(row);
  });

  it('should write JSON log lines with the service name and the caller correlation id, and no personal data', async () => {
    // The connectors app writes its lines 8 KiB at a time, at most 250 ms late (logBufferBytes).
    const lines = await eventually(async () => {
      const written = connectors.stdout().trim().split('\n').map((line) => JSON.parse(line));
      return written.some((line) => line.correlationId === `corr-${run}` && line.route === '/v1/events') ? written : undefined;
    }, 5000, 'the access line of the correlated call');
    expect(lines.every((line) => line.service === 'connectors')).toBe(true);
    expect(connectors.stdout() + identity.stdout()).not.toContain('example.invalid');
  });

  it('should refuse a call without the ingest key and a malformed event with a clear 4xx', async () => {
    await request(connectors.url).post('/v1/events').send({ events: [] }).expect(401);
    const bad = await request(connectors.url)
      .post('/v1/events')
      .set('x-ingest-key', INGEST_KEY)
      .send({ events: [{ ...customerEvent({ source: 'crm', sourceRecordId: 'x', recordVersion: 1 }), kind: 'customer.exploded' }] })
      .expect(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(bad.body.message).toContain('kind');
    expect(bad.body.correlationId).toEqual(expect.any(String));
    const notJson = await request(connectors.url)
      .post('/v1/events')
      .set('x-ingest-key', INGEST_KEY)
      .set('x-correlation-id', `bad-json-${run}`)
      .set('content-type', 'application/json')
      .send('{"events": [')
      .expect(400);
    expect(notJson.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Request body is not valid JSON', correlationId: `bad-json-${run}` });
  });

  it('should dead-letter a poison message with its reason and keep the partition moving', async () => {
    const kafka = new Kafka({ brokers, clientId: 'e2e-poison', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `e2e-dlq-${run}` });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      const key = `crm:poison-${run}`;
      const letters: { key: string; reason: string; value: string }[] = [];
      await consumer.subscribe({ topic: TOPICS.customerEventsDeadLetter, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          letters.push({ key: message.key?.toString() ?? '', reason: message.headers?.[DEAD_LETTER_HEADERS.error]?.toString() ?? '', value: message.value?.toString() ?? '' });
        },
      });
      const after = customerEvent({ source: 'crm', sourceRecordId: `after-poison-${run}`, recordVersion: 1 });
      // Same key, so the same partition: the good event is behind the poison one.
      await producer.send({ topic: TOPICS.customerEvents, messages: [{ key, value: '{"schemaVersion": 1, "source": "crm"' }, { key, value: JSON.stringify(after) }] });

      const letter = await eventually(async () => letters.find((l) => l.key === key), 30000, 'the dead letter');
      expect(letter.reason).toContain('not valid JSON');
      expect(letter.value).toBe('{"schemaVersion": 1, "source": "crm"');
      await eventually(() => storedRecord(`after-poison-${run}`), 30000, 'the event behind the poison message');
    } finally {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    }
  });

  it('should serve liveness, readiness and Prometheus metrics on every app', async () => {
    for (const service of [connectors, identity]) {
      await request(service.url).get('/health/live').expect(200, { status: 'live' });
      const ready = await request(service.url).get('/health/ready').expect(200);
      expect(ready.body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' } });
      const metrics = await request(service.url).get('/metrics').expect(200);
      expect(metrics.text).toContain('process_resident_memory_bytes');
    }
    const identityMetrics = await request(identity.url).get('/metrics');
    expect(identityMetrics.text).toMatch(/identity_events_applied_total\{service="identity"\} [1-9]/);
  });
});
