import { columnBuffer, int32Column } from './column-memory';
import { Prefault } from './prefault';

/** Bytes per table entry: the key (a double), then its first posting and its count (two int32s). */
const ENTRY_BYTES = 16;

/**
 * Index from numeric keys (identifier codes and 52-bit blocking-key hashes) to the record slots that
 * carry them, with a count of live carriers per key. Typed arrays throughout: an open-addressing table
 * of keys and a linked-list arena of postings, so a million records with fifteen keys each cost the
 * garbage collector nothing to trace. Postings of records that died stay in their lists until the next
 * `rebuild` (callers skip dead slots); counts are exact.
 *
 * Laid out for a population far larger than the processor's caches, where every read of another cache
 * line is a trip to memory: a table entry holds its key, first posting and count side by side (one cache
 * line per lookup, where separate arrays made four), and `pack` lays each key's postings out one after
 * the other, so walking a list reads consecutive memory instead of jumping through the arena.
 */
export class KeyIndex {
  /**
   * Entry e: keys[2e] is its key, meta[4e + 2] its first posting + 1 (0: a free entry; a key is entered
   * with its first posting, so a used entry never has none), meta[4e + 3] its count. Fresh memory is
   * an empty table: nothing to fill (touching a few hundred MB at once stalls the process).
   */
  private keys!: Float64Array;
  private meta!: Int32Array;
  private mask = 0;
  private entries = 0;
  private next: Int32Array;
  private slots: Int32Array;
  private postings = 0;
  /** The arena of twice the size, mapped ahead once this one is half full (see Prefault). */
  private nextTable?: { buffer: SharedArrayBuffer; from: number; prefault: Prefault };
  private nextArena?: { next: Int32Array; slots: Int32Array; from: number; prefault: Prefault };

  constructor(expectedKeys = 1 << 12) {
    let cap = 1 << 12;
    while (cap < expectedKeys * 2) cap *= 2;
    this.allocate(cap);
    this.next = int32Column(Math.max(1 << 14, expectedKeys));
    this.slots = int32Column(Math.max(1 << 14, expectedKeys));
  }

  /** Postings held, dead ones included (what `rebuild` reclaims). */
  get size(): number {
    return this.postings;
  }

  add(key: number, slot: number): void {
    const e = this.entry(key, true);
    if (this.postings === this.slots.length) this.growArena();
    else if (this.postings >= this.slots.length >>> 1) this.prepareArena();
    const p = this.postings++;
    this.slots[p] = slot;
    this.next[p] = this.meta[4 * e + 2] - 1;
    this.meta[4 * e + 2] = p + 1;
    this.meta[4 * e + 3]++;
  }

  /** One carrier of `key` is gone (its posting is skipped from now on by the caller's liveness check). */
  release(key: number): void {
    const e = this.entry(key, false);
    if (e >= 0 && this.meta[4 * e + 3] > 0) this.meta[4 * e + 3]--;
  }

  count(key: number): number {
    const e = this.entry(key, false);
    return e < 0 ? 0 : this.meta[4 * e + 3];
  }

  /**
   * The table entry of `key` (-1: never added), for `entryCount` and `entryHead`: one lookup where
   * `count` and `firstPosting` would make two. Valid until the next `add`, `clear` or `pack`.
   */
  entryOf(key: number): number {
    return this.entry(key, false);
  }

  entryCount(e: number): number {
    return e < 0 ? 0 : this.meta[4 * e + 3];
  }

  entryHead(e: number): number {
    return e < 0 ? -1 : this.meta[4 * e + 2] - 1;
  }

  /** The first posting of `key` (-1: none); walk on with `nextPosting`, read with `postingSlot`. */
  firstPosting(key: number): number {
    const e = this.entry(key, false);
    return e < 0 ? -1 : this.meta[4 * e + 2] - 1;
  }

  nextPosting(p: number): number {
    return this.next[p];
  }

  postingSlot(p: number): number {
    return this.slots[p];
  }

  /** Visits the slots posted under `key`, newest first, dead ones included. */
  forEach(key: number, visit: (slot: number) => void): void {
    for (let p = this.firstPosting(key); p >= 0; p = this.next[p]) visit(this.slots[p]);
  }

  /** Empties the index (to be filled again with live postings only). */
  clear(): void {
    this.allocate(this.mask + 1);
    this.postings = 0;
  }

  /**
   * Rewrites the arena so that each key's postings are consecutive, in the order its list walks them
   * (newest first): the same lists, read from consecutive memory. Costs a walk of every list (about a
   * second at ten million postings), so it is for after a load or a rebuild, not per transaction.
   * Postings added later go in front of the packed ones as before. Posting numbers change.
   */
  pack(): void {
    const slots = int32Column(this.slots.length);
    const next = int32Column(this.next.length);
    let at = 0;
    const meta = this.meta;
    for (let e = 0; e <= this.mask; e++) {
      let p = meta[4 * e + 2] - 1;
      if (p < 0) continue;
      meta[4 * e + 2] = at + 1;
      for (; p >= 0; p = this.next[p]) {
        slots[at] = this.slots[p];
        next[at] = at + 1;
        at++;
      }
      next[at - 1] = -1;
    }
    this.slots = slots;
    this.next = next;
  }

  private entry(key: number, create: boolean): number {
    // Keys are integers up to 2^52 in magnitude: mix both halves.
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let e = h & this.mask;
    const { keys, meta } = this;
    while (meta[4 * e + 2] !== 0) {
      if (keys[2 * e] === key) return e;
      e = (e + 1) & this.mask;
    }
    if (!create) return -1;
    if ((this.entries + 1) * 2 > this.mask) {
      this.growTable();
      return this.entry(key, true);
    }
    // The caller gives the entry its first posting at once (that marks it used).
    keys[2 * e] = key;
    this.entries++;
    if (this.entries * 4 > this.mask) this.prepareTable();
    return e;
  }

  private growTable(): void {
    const { keys, meta } = this;
    const cap = this.mask + 1;
    const spare = this.nextTable?.buffer.byteLength === cap * 2 * ENTRY_BYTES ? this.nextTable.buffer : undefined;
    this.nextTable = undefined;
    this.allocate(cap * 2, spare);
    for (let e = 0; e < cap; e++) {
      if (meta[4 * e + 2] === 0) continue;
      const n = this.entry(keys[2 * e], true);
      this.meta[4 * n + 2] = meta[4 * e + 2];
      this.meta[4 * n + 3] = meta[4 * e + 3];
    }
  }

  /**
   * Past a quarter full (it grows at half): the next table is allocated and mapped in step with the
   * entries still to come, so the rehash writes into mapped memory (a table of 2^23 entries, 128 MB,
   * took 0.6 s to grow, most of it faulting pages in).
   */
  private prepareTable(): void {
    const cap = this.mask + 1;
    if (this.nextTable?.buffer.byteLength !== cap * 2 * ENTRY_BYTES) {
      const buffer = columnBuffer(cap * 2 * ENTRY_BYTES);
      this.nextTable = { buffer, from: this.entries, prefault: new Prefault([new Uint8Array(buffer)], [buffer.byteLength]) };
    }
    const { from, prefault } = this.nextTable;
    // The table grows when (entries + 1) * 2 > mask.
    prefault.advance((this.entries - from + 1) / Math.max(1, (this.mask >>> 1) - from));
  }

  /** In column memory (see column-memory.ts), as the arena is. */
  private allocate(cap: number, spare?: SharedArrayBuffer): void {
    const buffer = spare ?? columnBuffer(cap * ENTRY_BYTES);
    this.keys = new Float64Array(buffer);
    this.meta = new Int32Array(buffer);
    this.mask = cap - 1;
    this.entries = 0;
  }

  private growArena(): void {
    const spare = this.nextArena?.slots.length === this.slots.length * 2 ? this.nextArena : undefined;
    this.nextArena = undefined;
    const next = spare?.next ?? int32Column(this.next.length * 2);
    next.set(this.next);
    this.next = next;
    const slots = spare?.slots ?? int32Column(this.slots.length * 2);
    slots.set(this.slots);
    this.slots = slots;
  }

  /**
   * Past half the arena: the next one is allocated and the part the copy will write mapped in step
   * with the postings still free, so growing copies into mapped memory (a 2^24-posting arena: 128 MB
   * faulted in at once stalled the resolver for about a second).
   */
  private prepareArena(): void {
    const length = this.slots.length;
    if (this.nextArena?.slots.length !== length * 2) {
      // One buffer, in column memory (see column-memory.ts).
      const buffer = columnBuffer(length * 2 * 8);
      const next = new Int32Array(buffer, 0, length * 2);
      const slots = new Int32Array(buffer, length * 8, length * 2);
      this.nextArena = { next, slots, from: this.postings, prefault: new Prefault([next, slots], [this.next.byteLength, this.slots.byteLength]) };
    }
    const { from, prefault } = this.nextArena;
    prefault.advance((this.postings + 1 - from) / (length - from));
  }
}
