/**
 * Direct-mapped cache of comparator levels per field, keyed by the pair of value codes: names, dates and
 * places repeat across many candidate pairs, so most comparisons become two integer reads. Typed arrays
 * (no Map, no boxed keys) keep the cost per lookup flat however large the dictionaries grow; a collision
 * simply overwrites the slot, and a level is a pure function of the two values, so results never depend
 * on what the cache held.
 */
export const LEVEL_CACHE_BITS = 18;
export const LEVEL_CACHE_MIN_DICTIONARY = 2;

export class LevelCache {
  // One entry is [a, b, level, unused] at 4 × slot, side by side and aligned: a lookup reads one cache line, not three arrays.
  private readonly table: Int32Array;
  private readonly shift: number;

  constructor(bits: number) {
    const size = 1 << bits;
    this.table = new Int32Array(size * 4);
    for (let e = 0; e < size; e++) this.table[e * 4] = -1;
    this.shift = 32 - bits;
  }

  /** Level for codes a < b, or -2 when not cached; `slot` receives where to store it. */
  get(a: number, b: number): number {
    const h = ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca6b)) >>> this.shift) << 2;
    this.slot = h;
    const t = this.table;
    return t[h] === a && t[h + 1] === b ? t[h + 2] : -2;
  }

  slot = 0;

  set(a: number, b: number, level: number): void {
    const h = this.slot;
    const t = this.table;
    t[h] = a;
    t[h + 1] = b;
    t[h + 2] = level;
  }
}
