import type { CustomerEventV1 } from '@tandem/contracts';
import type { ConsumedMessage } from '@tandem/messaging';
import { Metrics } from '@tandem/observability';
import { ProfileResolver } from '@tandem/profiles';
import { IdentityConfig } from '../identity.config';
import { groupByRecord, ResolutionService } from './resolution.service';

const msg = (source: string, id: string, version: number) => ({ value: { source, sourceRecordId: id, recordVersion: version } });

describe('groupByRecord', () => {
  it('should cap the distinct records per group and keep every version of a record in one group', () => {
    const messages = [msg('crm', 'a', 1), msg('crm', 'b', 1), msg('crm', 'c', 1), msg('crm', 'a', 2), msg('crm', 'd', 1), msg('crm', 'c', 2)];
    const groups = groupByRecord(messages, 2);
    expect(groups.map((g) => g.map((m) => `${m.value.sourceRecordId}${m.value.recordVersion}`))).toEqual([['a1', 'b1', 'a2'], ['c1', 'd1', 'c2']]);
  });
});

describe('ResolutionService', () => {
  type Message = ConsumedMessage<CustomerEventV1>;
  const event = (partition: number, id: string): Message =>
    ({ topic: 't', partition, offset: '0', key: null, headers: {}, timestamp: '0', value: { source: 'crm', sourceRecordId: id, recordVersion: 1, identifiers: [] } }) as unknown as Message;

  /**
   * A service over fakes: the resolver fails on records named "poison"; `transactions` counts commits.
   * Its transactions run one after the other, each planned when the one before has ended.
   */
  function service() {
    const state = { transactions: 0, applied: [] as string[][] };
    let last: Promise<void> = Promise.resolve();
    const manager = { query: async () => [{ any: false }] };
    const dataSource = { query: async () => [{ secret: Buffer.alloc(32) }] };
    const resolver = {
      normalizer: new ProfileResolver().normalizer,
      prepare: () => undefined,
      planned: () => last,
      transaction: async <T>(_ds: unknown, work: (tx: unknown) => Promise<T>) => {
        const previous = last;
        let ended = () => undefined as void;
        last = new Promise((resolve) => (ended = resolve));
        await previous;
        const tx = {
          manager,
          ingest: async (changes: Array<{ source: string; sourceRecordId: string }>) => {
            const ids = changes.map((c) => c.sourceRecordId);
            if (ids.includes('poison')) throw new Error('cannot store this record');
            state.applied.push(ids);
            return { stored: changes.map((c) => `${c.source}\u0000${c.sourceRecordId}`) };
          },
        };
        try {
          const result = await work(tx);
          state.transactions++;
          return result;
        } finally {
          ended();
        }
      },
    };
    const config = Object.assign(new IdentityConfig(), { IDENTITY_RESOLVE_RECORDS: 100 });
    const svc = new ResolutionService(dataSource as never, resolver as never, config, new Metrics('test'));
    return { svc, state };
  }

  it('should apply chunks handed over together in one transaction, each told how many of its records changed', async () => {
    const { svc, state } = service();
    // One fetch's chunks (one per partition) are handed over in the same turn of the event loop.
    const together = [svc.apply([event(0, 'a')]), svc.apply([event(1, 'b'), event(1, 'c')]), svc.apply([event(2, 'd')])];
    await new Promise((resolve) => setImmediate(resolve));
    const later = [svc.apply([event(3, 'e')]), svc.apply([event(4, 'f')])];
    expect(await Promise.all([...together, ...later])).toEqual([1, 2, 1, 1, 1]);
    // Those handed over while the first transaction ran shared the next one.
    expect(state.applied).toEqual([['a', 'b', 'c', 'd'], ['e', 'f']]);
    expect(state.transactions).toBe(2);
  });

  it('should fail only the chunk at fault when chunks that shared a transaction cannot be applied together', async () => {
    const { svc, state } = service();
    const busy = svc.apply([event(0, 'a')]);
    const poisoned = svc.apply([event(1, 'poison')]);
    const good = svc.apply([event(2, 'b')]);
    await busy;
    await expect(poisoned).rejects.toThrow('cannot store this record');
    expect(await good).toBe(1);
    expect(state.applied).toEqual([['a'], ['b']]);
  });
});
