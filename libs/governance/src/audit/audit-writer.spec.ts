import { AuditEntry, AuditWriter } from './audit-writer';

/** A pool whose inserts finish when the test says so, recording what each one carried. */
class FakePool {
  readonly inserts: Array<{ name: string; values: unknown[]; finish: (error?: Error & { code?: string }) => void }> = [];

  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.inserts.push({ name: config.name, values: config.values, finish: (error) => (error ? reject(error) : resolve({ rowCount: (config.values[0] as unknown[]).length })) });
    });
  }
}

const entry = (n: number, detail?: Record<string, unknown>): AuditEntry => ({
  clientId: '00000000-0000-4000-8000-000000000001',
  clientName: 'crm-sync',
  action: 'profile.lookup',
  purpose: 'email-marketing',
  profileId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  fields: ['givenName', 'email'],
  correlationId: `c-${n}`,
  detail: detail ?? { policy: ['marketing@1'] },
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('audit writer', () => {
  it('should answer no read before the insert carrying its entry has committed, and carry the entries of one turn and the waiting ones together', async () => {
    const pool = new FakePool();
    const writer = new AuditWriter(pool, { prepared: true });
    const answered: number[] = [];
    // Recorded in one turn of the event loop (the reads answered by one batch query): one insert.
    const reads = [1, 2].map((n) => writer.record(entry(n)).then(() => answered.push(n)));
    await settle();
    expect(pool.inserts).toHaveLength(1);
    expect(pool.inserts[0].values[4]).toEqual([entry(1).profileId, entry(2).profileId]);
    // Entries that come while it is in flight wait for the next one, together.
    reads.push(...[3, 4].map((n) => writer.record(entry(n)).then(() => answered.push(n))));
    await settle();
    expect(pool.inserts).toHaveLength(1);
    expect(answered).toEqual([]);
    pool.inserts[0].finish();
    await settle();
    expect(answered).toEqual([1, 2]);
    expect(pool.inserts).toHaveLength(2);
    expect(pool.inserts[1].values[4]).toEqual([entry(3).profileId, entry(4).profileId]);
    pool.inserts[1].finish();
    await Promise.all(reads);
    expect(answered).toEqual([1, 2, 3, 4]);
    // The same named statement every time: parsed and planned once per connection.
    expect(new Set(pool.inserts.map((i) => i.name))).toEqual(new Set(['tandem-audit-insert']));
  });

  it('should write the fields as an array literal and never a NUL into detail', async () => {
    const pool = new FakePool();
    const writer = new AuditWriter(pool, { prepared: true });
    const read = writer.record({ ...entry(1, { deadLetter: 'a\u0000b' }), fields: ['givenName', 'odd"name\\'] });
    await settle();
    const values = pool.inserts[0].values;
    expect(values[6]).toEqual(['{"givenName","odd\\"name\\\\"}']);
    expect(values[8]).toEqual([JSON.stringify({ deadLetter: 'a\uFFFDb' })]);
    pool.inserts[0].finish();
    await read;
  });

  it('should fail only the entry PostgreSQL refuses, and every waiting read when the database is away', async () => {
    const pool = new FakePool();
    const writer = new AuditWriter(pool, { prepared: true });
    const first = writer.record(entry(1));
    await settle();
    const batch = [2, 3, 4].map((n) => writer.record(entry(n)).then(() => 'audited', (error: Error) => error.message));
    pool.inserts[0].finish();
    await settle();
    pool.inserts[1].finish(Object.assign(new Error('invalid input syntax'), { code: '22P02' }));
    // Tried one by one, in order: the second is the bad one.
    for (const [i, error] of [undefined, Object.assign(new Error('invalid input syntax'), { code: '22P02' }), undefined].entries()) {
      await settle();
      pool.inserts[2 + i].finish(error);
    }
    await first;
    expect(await Promise.all(batch)).toEqual(['audited', 'invalid input syntax', 'audited']);

    const away = [5, 6].map((n) => writer.record(entry(n)).then(() => 'audited', (error: Error) => error.message));
    await settle();
    const last = pool.inserts[pool.inserts.length - 1];
    expect(last.values[4]).toEqual([entry(5).profileId, entry(6).profileId]);
    last.finish(Object.assign(new Error('connection terminated'), { code: '57P01' }));
    expect(await Promise.all(away)).toEqual(['connection terminated', 'connection terminated']);
  });
});
