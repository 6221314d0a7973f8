/**
 * Index from numeric keys (identifier codes and 52-bit blocking-key hashes) to the record slots that
 * carry them, with a count of live carriers per key. Typed arrays throughout: an open-addressing table
 * of keys and a linked-list arena of postings, so a million records with fifteen keys each cost the
 * garbage collector nothing to trace. Postings of records that died stay in their lists until the next
 * `rebuild` (callers skip dead slots); counts are exact.
 */
export class KeyIndex {
  private keys!: Float64Array;
  private heads!: Int32Array;
  private counts!: Int32Array;
  /** 1 where an entry holds a key (a key may be 0). */
  private used!: Uint8Array;
  private mask = 0;
  private entries = 0;
  private next: Int32Array;
  private slots: Int32Array;
  private postings = 0;

  constructor(expectedKeys = 1 << 12) {
    let cap = 1 << 12;
    while (cap < expectedKeys * 2) cap *= 2;
    this.allocate(cap);
    this.next = new Int32Array(Math.max(1 << 14, expectedKeys));
    this.slots = new Int32Array(Math.max(1 << 14, expectedKeys));
  }

  /** Postings held, dead ones included (what `rebuild` reclaims). */
  get size(): number {
    return this.postings;
  }

  add(key: number, slot: number): void {
    const e = this.entry(key, true);
    if (this.postings === this.slots.length) this.growArena();
    const p = this.postings++;
    this.slots[p] = slot;
    this.next[p] = this.heads[e];
    this.heads[e] = p;
    this.counts[e]++;
  }

  /** One carrier of `key` is gone (its posting is skipped from now on by the caller's liveness check). */
  release(key: number): void {
    const e = this.entry(key, false);
    if (e >= 0 && this.counts[e] > 0) this.counts[e]--;
  }

  count(key: number): number {
    const e = this.entry(key, false);
    return e < 0 ? 0 : this.counts[e];
  }

  /**
   * The table entry of `key` (-1: never added), for `entryCount` and `entryHead`: one lookup where
   * `count` and `firstPosting` would make two. Valid until the next `add` or `clear`.
   */
  entryOf(key: number): number {
    return this.entry(key, false);
  }

  entryCount(e: number): number {
    return e < 0 ? 0 : this.counts[e];
  }

  entryHead(e: number): number {
    return e < 0 ? -1 : this.heads[e];
  }

  /** The first posting of `key` (-1: none); walk on with `nextPosting`, read with `postingSlot`. */
  firstPosting(key: number): number {
    const e = this.entry(key, false);
    return e < 0 ? -1 : this.heads[e];
  }

  nextPosting(p: number): number {
    return this.next[p];
  }

  postingSlot(p: number): number {
    return this.slots[p];
  }

  /** Visits the slots posted under `key`, newest first, dead ones included. */
  forEach(key: number, visit: (slot: number) => void): void {
    const e = this.entry(key, false);
    if (e < 0) return;
    for (let p = this.heads[e]; p >= 0; p = this.next[p]) visit(this.slots[p]);
  }

  /** Empties the index (to be filled again with live postings only). */
  clear(): void {
    this.allocate(this.keys.length);
    this.postings = 0;
  }

  private entry(key: number, create: boolean): number {
    // Keys are integers up to 2^52 in magnitude: mix both halves.
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let e = h & this.mask;
    while (this.used[e] === 1) {
      if (this.keys[e] === key) return e;
      e = (e + 1) & this.mask;
    }
    if (!create) return -1;
    if ((this.entries + 1) * 2 > this.mask) {
      this.growTable();
      return this.entry(key, true);
    }
    this.keys[e] = key;
    this.used[e] = 1;
    this.entries++;
    return e;
  }

  private growTable(): void {
    const { keys, heads, counts, used } = this;
    this.allocate(keys.length * 2);
    for (let e = 0; e < keys.length; e++) {
      if (used[e] !== 1) continue;
      const n = this.entry(keys[e], true);
      this.heads[n] = heads[e];
      this.counts[n] = counts[e];
    }
  }

  private allocate(cap: number): void {
    this.keys = new Float64Array(cap);
    this.heads = new Int32Array(cap).fill(-1);
    this.counts = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.entries = 0;
  }

  private growArena(): void {
    const next = new Int32Array(this.next.length * 2);
    next.set(this.next);
    this.next = next;
    const slots = new Int32Array(this.slots.length * 2);
    slots.set(this.slots);
    this.slots = slots;
  }
}
