import { KeyIndex } from './key-index';

/** The slots a key's list walks, in walking order. */
function walk(index: KeyIndex, key: number): number[] {
  const out: number[] = [];
  for (let p = index.firstPosting(key); p >= 0; p = index.nextPosting(p)) out.push(index.postingSlot(p));
  return out;
}

/** A seeded generator (the same inputs every run). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

describe('KeyIndex', () => {
  // Keys as the population makes them: identifier codes as negative numbers, 52-bit hashes, and 0.
  const keyPool = (next: () => number) => {
    const keys = [0, -1, -2, 1, 2 ** 52 - 1, -(2 ** 40)];
    for (let i = 0; i < 3000; i++) keys.push(i % 3 === 0 ? -(Math.floor(next() * 1e6) + 1) : Math.floor(next() * 2 ** 52));
    return keys;
  };

  it('should list, count and walk every key as a plain map of lists does, through growth, packing and clearing', () => {
    const next = random(7);
    const keys = keyPool(next);
    // A small start, so the table and the arena grow many times.
    const index = new KeyIndex(16);
    const lists = new Map<number, number[]>();
    const counts = new Map<number, number>();
    const check = () => {
      for (const k of [...keys, 12345, -999999999]) {
        expect(walk(index, k)).toEqual([...(lists.get(k) ?? [])].reverse());
        expect(index.count(k)).toBe(counts.get(k) ?? 0);
        const e = index.entryOf(k);
        expect(index.entryCount(e)).toBe(counts.get(k) ?? 0);
        expect(index.entryHead(e)).toBe(index.firstPosting(k));
      }
      expect(index.size).toBe([...lists.values()].reduce((n, l) => n + l.length, 0));
    };
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 20_000; i++) {
        const k = keys[Math.floor(next() * next() * keys.length)];
        if (next() < 0.15 && (counts.get(k) ?? 0) > 0) {
          index.release(k);
          counts.set(k, (counts.get(k) ?? 0) - 1);
          continue;
        }
        const slot = Math.floor(next() * 1_000_000);
        index.add(k, slot);
        lists.set(k, [...(lists.get(k) ?? []), slot]);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      check();
      // Packing changes where postings are, not what any list says (nor postings added afterwards).
      index.pack();
      check();
    }
    index.release(123456789);
    expect(index.count(123456789)).toBe(0);
    index.clear();
    lists.clear();
    counts.clear();
    check();
    index.add(0, 5);
    index.add(0, 6);
    expect(walk(index, 0)).toEqual([6, 5]);
    expect(index.count(0)).toBe(2);
  });

  it('should lay a packed key out in consecutive postings', () => {
    const index = new KeyIndex(16);
    for (let slot = 0; slot < 300; slot++) for (const k of [11, 22, 33]) index.add(k, slot);
    index.pack();
    for (const k of [11, 22, 33]) {
      const first = index.firstPosting(k);
      let p = first;
      for (let i = 0; i < 299; i++) {
        expect(index.nextPosting(p)).toBe(p + 1);
        p = index.nextPosting(p);
      }
      expect(index.nextPosting(p)).toBe(-1);
      expect(walk(index, k)).toEqual(Array.from({ length: 300 }, (_, i) => 299 - i));
    }
  });
});
