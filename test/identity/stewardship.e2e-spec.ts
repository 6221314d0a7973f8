import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Admin, Kafka } from 'kafkajs';
import { Client } from 'pg';
import request from 'supertest';
import { CustomerEventV1 } from '@tandem/contracts';
import { modelFingerprint } from '@tandem/identity-engine';
import { hubModel, loadModel } from '@tandem/profiles';
import { generateRecords } from '@tandem/synthetic';
import { customerEvent } from '../support/events';
import { eventually, REPO_ROOT, RunningService, startService, waitForReadiness } from '../support/services';
import { peopleDrafts, peopleEvents, sourcesFor } from '../support/people';
import { caughtUp, clustersOf, createTopic, kafka, produce, snapshot, staleCopies } from './support';

const run = `s${Date.now().toString(36)}`;
const runA = `${run}a`;
const runB = `${run}b`;
const topic = `tandem.e2e.identity-stewardship-${run}`;
const A = sourcesFor(runA);
const B = sourcesFor(runB);
const allSources = [...Object.values(A), ...Object.values(B)];
const steward = { actor: 'steward-e2e', reason: 'checked with the customer' };

type Profile = {
  id: string;
  records: Array<{ source: string; sourceRecordId: string }>;
  golden: Record<string, unknown>;
  household: Array<{ reviewItemId: string; record: { source: string; sourceRecordId: string }; other: { source: string; sourceRecordId: string; profileId: string } }>;
};
type ReviewItem = { id: string; rule: string; recordA: { source: string; sourceRecordId: string }; recordB: { source: string; sourceRecordId: string } };

describe('stewardship: review decisions and unmerge', () => {
  let db: Client;
  let k: Kafka;
  let admin: Admin;
  let identity: RunningService;
  const env = (group: string) => ({ IDENTITY_CONSUMER_GROUP: group, IDENTITY_INGEST_TOPIC: topic, IDENTITY_OUTBOX_RELAY: 'off', IDENTITY_BATCH_SIZE: '50' });
  const profileOf = async (source: string, id: string): Promise<Profile> => (await request(identity.url).get(`/v1/records/${source}/${id}/profile`).expect(200)).body;
  const memberIds = (p: Profile) => p.records.map((r) => `${r.source}:${r.sourceRecordId}`).sort();
  /** The pair's undecided item: of `status`, or of either (open or household) when none is named. */
  const reviewItem = async (source: string, a: string, b: string, status?: 'open' | 'household'): Promise<ReviewItem> =>
    eventually(async () => {
      const items: ReviewItem[] = [];
      for (const s of status ? [status] : ['open', 'household']) items.push(...(await request(identity.url).get(`/v1/review-queue?source=${source}&status=${s}`).expect(200)).body);
      // Both records of `source`'s run: another run's look-alike may be queued with one of them.
      const run = source.slice(source.indexOf('-'));
      const ofRun = (i: ReviewItem) => i.recordA.source.endsWith(run) && i.recordB.source.endsWith(run);
      return items.find((i) => ofRun(i) && [i.recordA.sourceRecordId, i.recordB.sourceRecordId].sort().join() === [a, b].sort().join());
    }, 20000, `review item ${a}~${b}`);
  /** Sends `events` and waits until the identity instance has committed past them (effects are committed before offsets). */
  /** The sources of the generated customers (set by the training test). */
  let generated: string[] = [];
  /** The consumer group of the identity instance running now. */
  let group = `e2e-stewardship-${run}`;
  const sendAndSettle = async (events: CustomerEventV1[]) => {
    await produce(k, topic, events);
    await caughtUp(admin, group, topic, 60000);
  };

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    k = kafka(`e2e-stewardship-${run}`);
    admin = k.admin();
    await admin.connect();
    await createTopic(admin, topic, 6);
    identity = await startService('identity', env(group));
    await waitForReadiness(identity);
    await sendAndSettle([...peopleEvents(runA), ...peopleEvents(runB)]);
  });

  afterAll(async () => {
    await identity?.stop();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
    await db?.end();
  });

  it('should split a profile when a steward unmerges a link, record who and why, and keep it split when the records change again', async () => {
    const before = await profileOf(A.crm, 'anna');
    expect(memberIds(before)).toEqual([`${A.crm}:anna`, `${A.erp}:C-anna`, `${A.mkt}:sub-anna`]);

    const response = await request(identity.url)
      .post('/v1/links/unmerge')
      .send({ a: { source: A.crm, sourceRecordId: 'anna' }, b: { source: A.erp, sourceRecordId: 'C-anna' }, ...steward })
      .expect(201);
    expect(response.body).toHaveLength(2);
    const crmSide = await profileOf(A.crm, 'anna');
    const erpSide = await profileOf(A.erp, 'C-anna');
    expect(crmSide.id).not.toBe(erpSide.id);
    expect(memberIds(crmSide)).not.toContain(`${A.erp}:C-anna`);
    // Both golden records were recomputed from what is left in each.
    expect(erpSide.golden.sourceRecords).toEqual([{ source: A.erp, sourceRecordId: 'C-anna' }]);
    // The split moved records to another profile: their identifiers (what lookups read) moved with them.
    expect(await staleCopies(db, allSources)).toEqual([]);
    const audit = await db.query(`SELECT actor, reason, action FROM stewardship_actions WHERE profile_id = $1`, [before.id]);
    expect(audit.rows).toEqual([{ actor: steward.actor, reason: steward.reason, action: 'unmerge' }]);

    // The sources send both records again with a new version: the cut holds.
    await sendAndSettle(peopleEvents(runA, 2, peopleDrafts(runA).filter((d) => d.id.endsWith('anna'))));
    const again = await eventually(async () => {
      const row = await db.query(`SELECT record_version FROM source_records WHERE source = $1 AND source_record_id = 'C-anna'`, [A.erp]);
      return row.rows[0]?.record_version === '2' ? true : undefined;
    });
    expect(again).toBe(true);
    expect((await profileOf(A.crm, 'anna')).id).not.toBe((await profileOf(A.erp, 'C-anna')).id);
  });

  it('should record a household pair apart from the open queue, show it on both profiles, and count and list each status by rule', async () => {
    const item = await reviewItem(A.erp, 'carl', 'C-freya', 'household');
    // Carl and Freya share a household's contact details but not a given name or birth date.
    expect(item.rule).toBe('guardrail:person-attributes-disagree');
    const queue = async (query: string): Promise<ReviewItem[]> => (await request(identity.url).get(`/v1/review-queue?source=${A.erp}&${query}`).expect(200)).body;
    const summary = async (status: string) =>
      (await request(identity.url).get(`/v1/review-queue/summary?source=${A.erp}&status=${status}`).expect(200)).body as { status: string; total: number; byRule: Array<{ rule: string; items: number }> };
    // Not waiting for a steward: the open queue and its counts leave it out.
    expect((await queue('')).map((i) => i.id)).not.toContain(item.id);
    const open = await summary('open');
    expect(open.status).toBe('open');
    expect(open.byRule.map((r) => r.rule)).not.toContain(item.rule);
    expect(open.total).toBe(open.byRule.reduce((sum, r) => sum + r.items, 0));
    const households = await summary('household');
    expect(households.byRule).toEqual([{ rule: item.rule, items: households.total }]);
    expect(households.total).toBeGreaterThanOrEqual(1);
    // One rule at a time.
    expect((await queue(`status=household&rule=${encodeURIComponent(item.rule)}`)).map((i) => i.id)).toContain(item.id);
    expect((await queue('status=household&rule=fellegi-sunter')).map((i) => i.id)).not.toContain(item.id);
    // Each profile names the other person of the household.
    const carl = await profileOf(A.crm, 'carl');
    const freya = await profileOf(A.erp, 'C-freya');
    expect(carl.id).not.toBe(freya.id);
    expect(carl.household).toContainEqual({ reviewItemId: item.id, record: { source: A.crm, sourceRecordId: 'carl' }, other: { source: A.erp, sourceRecordId: 'C-freya', profileId: freya.id } });
    expect(freya.household).toContainEqual({ reviewItemId: item.id, record: { source: A.erp, sourceRecordId: 'C-freya' }, other: { source: A.crm, sourceRecordId: 'carl', profileId: carl.id } });
  });

  it('should link a household pair when a steward accepts it', async () => {
    const item = await reviewItem(A.erp, 'carl', 'C-freya', 'household');
    await request(identity.url).post(`/v1/review-queue/${item.id}/decision`).send({ decision: 'accept', ...steward }).expect(201);
    const carl = await profileOf(A.crm, 'carl');
    expect(memberIds(carl)).toEqual([`${A.crm}:carl`, `${A.erp}:C-carl`, `${A.erp}:C-freya`].sort());
    expect(await staleCopies(db, allSources)).toEqual([]);
    // Deciding twice is refused.
    await request(identity.url).post(`/v1/review-queue/${item.id}/decision`).send({ decision: 'reject', ...steward }).expect(409);
  });

  it('should keep two people apart after a rejection even when new data would make them match', async () => {
    for (const [a, b] of [['carl', 'C-freya'], ['C-carl', 'C-freya']]) {
      const item = await reviewItem(B.erp, a, b);
      await request(identity.url).post(`/v1/review-queue/${item.id}/decision`).send({ decision: 'reject', ...steward }).expect(201);
    }
    // Freya's record now carries Carl's birth date: without the decision, the shared email, surname and address would link them.
    const drafts = peopleDrafts(runB);
    const carl = drafts.find((d) => d.id === 'carl')!;
    const freya = drafts.find((d) => d.id === 'C-freya')!;
    freya.attributes = { ...freya.attributes, birthDate: carl.attributes.birthDate, givenName: 'Carla' };
    await sendAndSettle(peopleEvents(runB, 2, [freya]));
    expect((await profileOf(B.erp, 'C-freya')).records).toEqual([{ source: B.erp, sourceRecordId: 'C-freya' }]);
  });

  it('should leave every decision in place when the whole stream is replayed by a new consumer group', async () => {
    const before = await snapshot(db, allSources);
    const clusters = await clustersOf(db, allSources);
    await identity.stop();
    group = `e2e-stewardship-replay-${run}`;
    identity = await startService('identity', env(group));
    await waitForReadiness(identity);
    await caughtUp(admin, group, topic, 60000);
    expect(await clustersOf(db, allSources)).toEqual(clusters);
    expect(await snapshot(db, allSources)).toEqual(before);
  });

  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), 'profiles', ...args], { env: process.env, encoding: 'utf8', timeout: 60000 });
    expect(result.stderr).not.toMatch(/^cli: /m);
    expect(result.status).toBe(0);
    return result.stdout;
  };

  it('should report through the CLI dry run that a batch run agrees with the streamed profiles, and what a stricter threshold would split, writing nothing', async () => {
    const sources = allSources.join(',');
    const before = await snapshot(db, allSources);
    const same = JSON.parse(cli('dry-run', '--source', sources, '--json'));
    expect({ merges: same.merges.length, splits: same.splits.length }).toEqual({ merges: 0, splits: 0 });
    const strict = JSON.parse(cli('dry-run', '--source', sources, '--link', '0.99999', '--json'));
    expect(strict.splits.length).toBeGreaterThan(0);
    expect(await snapshot(db, allSources)).toEqual(before);
  });

  it('should rebuild the profiles from the stored records with the decisions in place, and change nothing when rebuilt again', async () => {
    const sources = allSources.join(',');
    const clusters = await clustersOf(db, allSources);
    // The rebuild names its model as the running instance does on /metrics: IT can see they are the same.
    const metrics = (await request(identity.url).get('/metrics').expect(200)).text;
    const running = /^identity_model_info\{[^}]*fingerprint="([0-9a-f]{16})"[^}]*\} 1$/m.exec(metrics)?.[1];
    expect(running).toBeDefined();
    expect(cli('rebuild', '--source', sources)).toMatch(new RegExp(`^rebuilt 28 records with model ${running} in`));
    expect(await clustersOf(db, allSources)).toEqual(clusters);
    expect(cli('rebuild', '--source', sources)).toMatch(/0 profiles created, 0 changed, 0 merged away or retired; 0 review items no longer in the review band/);
    expect(await staleCopies(db, allSources)).toEqual([]);
  });

  it('should train a model on the stored records through the CLI, refuse to when they are too few, and give a model the dry run reads', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-model-'));
    try {
      // The 28 records above give EM too few pairs: refused with the reason, nothing written.
      const few = path.join(dir, 'few.json');
      const refused = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), 'profiles', 'train', '--source', allSources.join(','), '--out', few], { env: process.env, encoding: 'utf8', timeout: 60000 });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/28 records gave EM only \d+ pairs to learn from, too few to train on; nothing was written/);
      expect(existsSync(few)).toBe(false);
      // An --out that cannot be written is refused before any training, naming the directory.
      const nowhere = path.join(dir, 'missing', 'model.json');
      const unwritable = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js'), 'profiles', 'train', '--out', nowhere], { env: process.env, encoding: 'utf8', timeout: 60000 });
      expect(unwritable.status).toBe(2);
      expect(unwritable.stderr).toContain(`cannot write ${nowhere}: directory ${path.join(dir, 'missing')} does not exist`);

      // 3,000 generated customers (fictitious; another seed each run) of three sources of their own.
      const T = sourcesFor(`${run}t`);
      const names = [T.crm, T.erp, T.mkt];
      generated = names;
      const seed = Date.now() % 1_000_000;
      const events = [...generateRecords({ records: 3000, seed })].map((r, i): CustomerEventV1 => {
        const source = names[i % 3];
        const attributes: Record<string, string> = {};
        for (const k of ['givenName', 'familyName', 'birthDate', 'street', 'houseNumber', 'city', 'postcode'] as const) if (r[k]) attributes[k] = r[k];
        return customerEvent({
          source,
          sourceRecordId: r.recordId,
          recordVersion: 1,
          identifiers: [...(r.email ? [{ type: 'email' as const, value: r.email }] : []), ...(r.phone ? [{ type: 'phone' as const, value: r.phone }] : [])],
          attributes,
        });
      });
      await produce(k, topic, events);
      await caughtUp(admin, group, topic, 120000);

      const file = path.join(dir, 'model.json');
      const printed = cli('train', '--source', names.join(','), '--out', file);
      expect(printed).toMatch(/^trained on 3000 records of .*EM \d+ iterations on \d+ pairs/);
      const model = JSON.parse(readFileSync(file, 'utf8'));
      // The fingerprint it prints is the one an instance started with the file would show.
      expect(printed).toContain(`(model ${modelFingerprint(loadModel(file))})`);
      expect(modelFingerprint(loadModel(file))).not.toBe(modelFingerprint(loadModel()));
      expect(model.training.trained).toBe(true);
      expect(model.fields.map((f: { name: string }) => f.name)).toEqual(hubModel().fields.map((f) => f.name));
      // It keeps the family names' frequencies for the resolver, and says what they weigh.
      expect(Object.keys(model.termFrequencies.familyName.values).length).toBeGreaterThan(10);
      expect(printed).toMatch(/familyName .*; by value frequency \(\d+ values\): -\d+\.\d for the most common, \+\d+\.\d for a rare one/);
      const report = JSON.parse(cli('dry-run', '--model', file, '--source', names.join(','), '--json'));
      expect(report.records).toBe(3000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should retire the review items a stricter review threshold no longer queues when rebuilding with it, and queue them again under the old one', async () => {
    // The generated customers of the test above: the small sets of people have no pair in the probabilistic review band.
    expect(generated).toHaveLength(3);
    const sources = generated.join(',');
    const waiting = async () =>
      (
        await db.query(
          `SELECT q.id, q.status, q.score, q.rule FROM review_queue q JOIN source_records a ON a.id = q.record_a JOIN source_records b ON b.id = q.record_b
          WHERE (a.source = ANY($1::text[]) OR b.source = ANY($1::text[])) AND q.status IN ('open', 'household') ORDER BY q.id`,
        [generated],
      )
    ).rows;
    const before = await waiting();
    const probability = (score: number) => 1 / (1 + 2 ** -score);
    // A stored score is the pair's when it was queued. An email or phone shared by more people since
    // then weighs less now (never more), so a probabilistic pair stored below 0.85 is below it now too;
    // one stored above may have fallen under it, and is retired as well.
    const below = before.filter((i) => i.status === 'open' && i.rule === 'fellegi-sunter' && probability(i.score) < 0.85);
    expect(below.length).toBeGreaterThan(0);
    const clusters = await clustersOf(db, generated);
    const printed = cli('rebuild', '--source', sources, '--review', '0.85');
    const retired = Number(/; (\d+) review items no longer in the review band/.exec(printed)?.[1]);
    const strict = await waiting();
    const left = new Set(strict.map((i) => i.id));
    // What it says it retired is what left the queue, and every pair below the new band is among them.
    expect(strict.every((i) => before.some((b) => b.id === i.id))).toBe(true);
    expect(retired).toBe(before.length - strict.length);
    expect(below.filter((i) => left.has(i.id))).toEqual([]);
    // Household pairs stay recorded (the middle of the moved band is still in it) but for one whose
    // evidence changed since it was recorded, and the profiles are what they were (only the band moved).
    const households = (list: typeof before) => list.filter((i) => i.status === 'household').length;
    expect(households(before)).toBeGreaterThan(10);
    expect(households(strict)).toBeGreaterThanOrEqual(households(before) * 0.9);
    expect(await clustersOf(db, generated)).toEqual(clusters);
    // The old rules queue them again: those the rebuild's candidate search meets (streaming met some
    // pairs while their blocks were still small, which a search over the whole population skips).
    expect(cli('rebuild', '--source', sources)).toMatch(/; 0 review items no longer in the review band/);
    const again = (await waiting()).map((i) => i.id);
    expect(again.length).toBeGreaterThan(strict.length);
    expect(before.map((i) => i.id)).toEqual(expect.arrayContaining(again));
  });
});
