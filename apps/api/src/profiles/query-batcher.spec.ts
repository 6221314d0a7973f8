import { QueryBatcher } from './query-batcher';

/** A query whose batches finish when the test says so. */
function controlledQuery() {
  const batches: Array<{ keys: string[]; finish: (error?: Error & { code?: string }) => void }> = [];
  const run = (keys: string[]) =>
    new Promise<string[]>((resolve, reject) => batches.push({ keys, finish: (error) => (error ? reject(error) : resolve(keys.map((k) => `profile of ${k}`))) }));
  return { batches, run };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('query batcher', () => {
  it('should send the reads of one turn together when idle, and let reads that arrive while the slots are busy share one query', async () => {
    const { batches, run } = controlledQuery();
    const batcher = new QueryBatcher(run, 1, 64);
    const first = batcher.load('a');
    const second = batcher.load('a2');
    await settle();
    expect(batches.map((b) => b.keys)).toEqual([['a', 'a2']]);
    const waiting = ['b', 'c', 'd'].map((k) => batcher.load(k));
    await settle();
    expect(batches).toHaveLength(1);
    batches[0].finish();
    expect(await first).toBe('profile of a');
    expect(await second).toBe('profile of a2');
    await settle();
    expect(batches[1].keys).toEqual(['b', 'c', 'd']);
    batches[1].finish();
    expect(await Promise.all(waiting)).toEqual(['profile of b', 'profile of c', 'profile of d']);
  });

  it('should answer each read with its own result, never a neighbour\'s, up to the batch size per query', async () => {
    const { batches, run } = controlledQuery();
    const batcher = new QueryBatcher(run, 1, 2);
    const reads = ['a', 'b', 'c', 'd'].map((k) => batcher.load(k));
    for (let i = 0; i < 2; i++) {
      await settle();
      batches[i].finish();
    }
    expect(batches.map((b) => b.keys)).toEqual([['a', 'b'], ['c', 'd']]);
    expect(await Promise.all(reads)).toEqual(['profile of a', 'profile of b', 'profile of c', 'profile of d']);
  });

  it('should fail only the read whose value the database refuses, and every read of a batch the database could not run', async () => {
    const { batches, run } = controlledQuery();
    const batcher = new QueryBatcher(run, 1, 64);
    const outcome = (p: Promise<string>) => p.then((r) => r, (e: Error) => `failed: ${e.message}`);
    const first = outcome(batcher.load('a'));
    await settle();
    const reads = ['b', 'bad', 'c'].map((k) => outcome(batcher.load(k)));
    batches[0].finish();
    await settle();
    batches[1].finish(Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }));
    for (const error of [undefined, Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }), undefined]) {
      await settle();
      batches[batches.length - 1].finish(error);
    }
    expect(await first).toBe('profile of a');
    expect(await Promise.all(reads)).toEqual(['profile of b', 'failed: invalid input syntax for type uuid', 'profile of c']);

    const before = batches.length;
    const down = ['d', 'e'].map((k) => outcome(batcher.load(k)));
    // However the two are batched, every query they are in fails.
    for (let next = before; next < before + 2; next++) {
      await settle();
      batches[next]?.finish(Object.assign(new Error('connection terminated'), { code: '57P01' }));
    }
    expect(await Promise.all(down)).toEqual(['failed: connection terminated', 'failed: connection terminated']);
  });
});
