import pino from 'pino';
import { CustomerEventV1 } from '@tandem/contracts';
import { ErpBatchWriter, WrittenGroup } from './erp-batch-writer';
import { ErpChange } from './erp-change.mapper';

const customer = (id: string): ErpChange => ({ table: 'customers', customerId: id, lsn: Number(id), occurredAt: '2026-01-01T00:00:00.000Z', deleted: false, identifiers: [], attributes: {} });
const eventFor = (change: ErpChange) => ({ sourceRecordId: change.table === 'customers' ? change.customerId : '?' }) as CustomerEventV1;
const logger = pino({ level: 'silent' });

describe('ERP batch writer (group commit)', () => {
  it('should put the chunks that arrive while a transaction runs into one next transaction, up to the limit', async () => {
    const transactions: string[][] = [];
    let release!: () => void;
    const firstRuns = new Promise<void>((resolve) => (release = resolve));
    const written: WrittenGroup<string>[] = [];
    const writer = new ErpBatchWriter<string>(
      async (changes) => {
        transactions.push(changes.map((c) => (c.table === 'customers' ? c.customerId : '?')));
        if (transactions.length === 1) await firstRuns;
        return changes.map(eventFor);
      },
      3,
      logger,
      (group) => void written.push(group),
    );
    const first = writer.write([customer('1')], ['p0']);
    // These three arrive while the first transaction runs: two fit the next one, the third waits.
    const rest = [writer.write([customer('2')], ['p1']), writer.write([customer('3'), customer('4')], ['p2']), writer.write([customer('5')], ['p3'])];
    release();
    await Promise.all([first, ...rest]);
    expect(transactions).toEqual([['1'], ['2', '3', '4'], ['5']]);
    expect(written.map((g) => [g.handled, g.events.length, g.items])).toEqual([
      [1, 1, ['p0']],
      [3, 3, ['p1', 'p2']],
      [1, 1, ['p3']],
    ]);
  });

  it('should fail only the chunk with the poison change when a shared transaction fails, and write the others', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const committed: string[] = [];
    const writer = new ErpBatchWriter<string>(
      async (changes) => {
        const ids = changes.map((c) => (c.table === 'customers' ? c.customerId : '?'));
        if (ids.includes('0')) await blocked;
        if (ids.includes('poison')) throw new Error('customers.customer_number is missing');
        committed.push(...ids);
        return changes.map(eventFor);
      },
      100,
      logger,
    );
    const first = writer.write([customer('0')], ['p0']);
    const good = writer.write([customer('1')], ['p1']);
    const bad = writer.write([customer('2'), customer('poison')], ['p2']);
    const alsoGood = writer.write([customer('3')], ['p3']);
    release();
    await expect(first).resolves.toBeUndefined();
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('customers.customer_number is missing');
    await expect(alsoGood).resolves.toBeUndefined();
    expect(committed).toEqual(['0', '1', '3']);
  });

  it('should fail every chunk of a transaction at once when the database or Kafka is away', async () => {
    let calls = 0;
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const writer = new ErpBatchWriter<string>(
      async () => {
        calls++;
        if (calls === 1) await blocked;
        throw outage;
      },
      100,
      logger,
    );
    const results = [writer.write([customer('1')], ['p0']), writer.write([customer('2')], ['p1']), writer.write([customer('3')], ['p2'])];
    release();
    for (const result of results) await expect(result).rejects.toBe(outage);
    // One attempt for the first chunk, one for the two that waited: an outage is not retried chunk by chunk.
    expect(calls).toBe(2);
  });
});
