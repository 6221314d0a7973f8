import { SlotStrings } from './slot-strings';

/** A small deterministic generator (xorshift), so a failure replays. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

describe('SlotStrings', () => {
  it('should give back every string and find its slot as a string array and a map would, across chunks, table growth and removals', () => {
    // 64-byte chunks: strings of up to 40 bytes cross a chunk every few slots; the table starts at 1,024
    // entries and doubles several times; removals shift probe runs back.
    const strings = new SlotStrings(16, 6);
    const next = random(7);
    const texts: string[] = [];
    const index = new Map<string, number>();
    let capacity = 16;
    for (let slot = 0; slot < 6000; slot++) {
      if (slot === capacity) {
        capacity *= 2;
        strings.moveInto(new Uint32Array(capacity), new Int32Array(capacity));
      }
      // Some strings repeat (a record's next version), some are not ASCII, one is empty.
      const text = slot === 100 ? '' : next() < 0.2 && slot > 0 ? texts[Math.floor(next() * slot)] || `r${slot}` : `src\u0000rec-${Math.floor(next() * 1e6)}-é${slot % 7 === 0 ? '漢' : ''}`;
      strings.set(slot, text);
      texts[slot] = text;
      const previous = index.get(text);
      expect(strings.findSame(slot)).toBe(previous);
      strings.put(slot);
      index.set(text, slot);
      if (next() < 0.1) {
        const victim = Math.floor(next() * (slot + 1));
        if (index.get(texts[victim]) === victim) {
          strings.removeIfAt(victim);
          index.delete(texts[victim]);
        }
        strings.clear(victim);
        texts[victim] = '';
      }
    }
    expect(strings.indexed).toBe(index.size);
    expect(strings.arenaBytes).toBeGreaterThan(64 * 1000);
    for (let slot = 0; slot < 6000; slot++) expect(strings.get(slot)).toBe(texts[slot]);
    for (const [text, slot] of index) expect(strings.find(text)).toBe(slot);
    expect(strings.find('src\u0000nothing')).toBeUndefined();
    // Taking every string out leaves an index that finds none of them.
    for (const slot of index.values()) strings.remove(slot);
    expect(strings.indexed).toBe(0);
    for (const text of index.keys()) expect(strings.find(text)).toBeUndefined();
  });

  it('should refuse a string longer than a chunk and a bad chunk size, naming the problem', () => {
    expect(() => new SlotStrings(4, 2)).toThrow(/chunkBits must be 4 to 24/);
    const strings = new SlotStrings(4, 4);
    expect(() => strings.set(0, 'x'.repeat(17))).toThrow(/17 bytes is longer than a chunk/);
    expect(() => strings.put(1)).toThrow(/slot 1 has no string/);
  });
});
