import { ShardedMap } from './sharded-map';

describe('ShardedMap', () => {
  it('behaves as a Map for get, has, set, delete and size', () => {
    const sharded = new ShardedMap<number>();
    const plain = new Map<string, number>();
    const keys = ['', 'a', 'crm\u00001', 'crm\u000010', 'email=someone@example.org', '0190f3a2-7c1e-7b3a-9c4d-1e2f3a4b5c6d'];
    for (let i = 0; i < 5000; i++) keys.push(`source${i % 3}\u0000${i * 7919}`);
    keys.forEach((k, i) => {
      sharded.set(k, i);
      plain.set(k, i);
    });
    keys.forEach((k, i) => {
      if (i % 3 === 0) expect(sharded.delete(k)).toBe(plain.delete(k));
      if (i % 5 === 0) {
        sharded.set(k, -i);
        plain.set(k, -i);
      }
    });
    expect(sharded.delete('never set')).toBe(false);
    expect(sharded.size).toBe(plain.size);
    for (const k of [...keys, 'never set']) {
      expect(sharded.get(k)).toBe(plain.get(k));
      expect(sharded.has(k)).toBe(plain.has(k));
    }
  });
});
