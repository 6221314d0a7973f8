import { ARENA_CHUNK_BITS, ByteArena } from './byte-arena';
import { columnBuffer } from './column-memory';
import { Prefault } from './prefault';

/**
 * One string per slot (a record's id, or its `source NUL record id`), as UTF-8 bytes outside the
 * JavaScript heap, with an index from string to slot: what a `string[]` and a `Map<string, number>`
 * held, at a million records two million strings and a table of a million entries that every full
 * collection marked. Bytes go in chunks of 16 MB of column memory that are never copied; per slot, its
 * place and length (in the population's columns, grown with them: see moveInto). The index is an
 * open-addressing table of slots with their strings' hashes, probed linearly; an entry's string is
 * its slot's bytes, so a look-up compares bytes, never builds a string.
 *
 * Bytes of a released slot are not reclaimed (slots are never reused); the population's columns grow
 * the same way.
 */
export class SlotStrings {
  private start: Uint32Array;
  /** Per slot, its string's bytes + 1; 0: none (never set, or released), which reads as ''. */
  private size: Int32Array;
  private readonly arena: ByteArena;
  /** Scratch for encoding a string looked up (grown to the longest asked). */
  private scratch = Buffer.alloc(256);

  /** Per table entry: the slot + 1 (0: free) and its string's hash. */
  private table: Int32Array;
  private hashes: Int32Array;
  private mask: number;
  private entries = 0;
  /** The table of twice the size, mapped ahead once this one is a quarter full (see Prefault). */
  private nextTable?: { table: Int32Array; hashes: Int32Array; from: number; prefault: Prefault };

  /** `chunkBits`: log2 of the arena's chunk size (specs make it small to cross chunks). */
  constructor(
    capacity: number,
    chunkBits = ARENA_CHUNK_BITS,
  ) {
    this.arena = new ByteArena('SlotStrings', chunkBits);
    this.start = new Uint32Array(capacity);
    this.size = new Int32Array(capacity);
    let cap = 1 << 10;
    while (cap < capacity * 2) cap *= 2;
    this.table = new Int32Array(columnBuffer(cap * 4));
    this.hashes = new Int32Array(columnBuffer(cap * 4));
    this.mask = cap - 1;
  }

  /** Strings in the index. */
  get indexed(): number {
    return this.entries;
  }

  /** Arena bytes allocated. */
  get arenaBytes(): number {
    return this.arena.allocated;
  }

  /** Gives a slot its string (not indexed: see put). */
  set(slot: number, text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.arena.chunkBytes) throw new Error(`SlotStrings: a string of ${bytes} bytes is longer than a chunk`);
    this.size[slot] = bytes + 1;
    if (bytes === 0) {
      this.start[slot] = 0;
      return;
    }
    const at = this.arena.reserve(bytes);
    if (at === -1) throw new Error('SlotStrings: arena full');
    this.arena.write(at, text, bytes);
    this.start[slot] = at;
  }

  /** A slot's string ('' when none). */
  get(slot: number): string {
    const bytes = this.size[slot] - 1;
    if (bytes <= 0) return '';
    return this.arena.text(this.start[slot], bytes);
  }

  /** Forgets a slot's string (it reads as '' from now on); the caller has taken it out of the index. */
  clear(slot: number): void {
    this.size[slot] = 0;
  }

  /** The slot the index holds for `text`, if any. */
  find(text: string): number | undefined {
    let bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.scratch.length) this.scratch = Buffer.alloc(2 * bytes);
    bytes = this.scratch.write(text, 0, 'utf8');
    const e = this.probe(this.scratch, 0, bytes, hashBytes(this.scratch, 0, bytes));
    return this.table[e] === 0 ? undefined : this.table[e] - 1;
  }

  /** The slot the index holds for the string `slot` has (that slot itself, or another with an equal string). */
  findSame(slot: number): number | undefined {
    const e = this.entryOfSlotString(slot);
    return e < 0 || this.table[e] === 0 ? undefined : this.table[e] - 1;
  }

  /** Indexes `slot` under its string, in place of any slot held for an equal string. */
  put(slot: number): void {
    if (this.size[slot] === 0) throw new Error(`SlotStrings.put: slot ${slot} has no string`);
    const e = this.entryOfSlotString(slot);
    if (this.table[e] === 0) {
      this.hashes[e] = this.slotHash(slot);
      this.entries++;
      if ((this.entries + 1) * 2 > this.mask) {
        this.table[e] = slot + 1;
        this.grow();
        return;
      }
      if (this.entries * 4 > this.mask) this.prepareTable();
    }
    this.table[e] = slot + 1;
  }

  /** Takes the string `slot` has out of the index (whichever slot it points at), if it is there. */
  remove(slot: number): void {
    const e = this.entryOfSlotString(slot);
    if (e >= 0 && this.table[e] !== 0) this.removeEntry(e);
  }

  /** Takes the string `slot` has out of the index if it points at `slot` itself. */
  removeIfAt(slot: number): void {
    const e = this.entryOfSlotString(slot);
    if (e >= 0 && this.table[e] === slot + 1) this.removeEntry(e);
  }

  /** The arrays held now, in the order moveInto takes them (for mapping the next ones ahead). */
  columns(): [Uint32Array, Int32Array] {
    return [this.start, this.size];
  }

  /** Moves into larger arrays (one element per slot each, allocated with the population's other columns). */
  moveInto(start: Uint32Array, size: Int32Array): void {
    if (size.length < this.size.length || start.length !== size.length) throw new Error('SlotStrings.moveInto: the new arrays must be larger, one element per slot');
    start.set(this.start);
    this.start = start;
    size.set(this.size);
    this.size = size;
  }

  /** The entry holding a string equal to the slot's, or the free entry where it would go; -1 if the slot has none. */
  private entryOfSlotString(slot: number): number {
    const bytes = this.size[slot] - 1;
    if (bytes < 0) return -1;
    const at = this.start[slot];
    const chunk = bytes === 0 ? this.scratch : this.arena.chunkOf(at);
    const offset = bytes === 0 ? 0 : this.arena.offsetOf(at);
    return this.probe(chunk, offset, bytes, hashBytes(chunk, offset, bytes));
  }

  private slotHash(slot: number): number {
    const bytes = this.size[slot] - 1;
    const at = this.start[slot];
    return bytes === 0 ? hashBytes(this.scratch, 0, 0) : hashBytes(this.arena.chunkOf(at), this.arena.offsetOf(at), bytes);
  }

  private probe(source: Buffer, offset: number, bytes: number, hash: number): number {
    const { table, hashes, mask } = this;
    let e = hash & mask;
    for (; table[e] !== 0; e = (e + 1) & mask) {
      if (hashes[e] !== hash) continue;
      const slot = table[e] - 1;
      if (this.size[slot] !== bytes + 1) continue;
      const at = this.start[slot];
      const other = this.arena.offsetOf(at);
      if (bytes === 0 || this.arena.chunkOf(at).compare(source, offset, offset + bytes, other, other + bytes) === 0) return e;
    }
    return e;
  }

  /** Linear probing's deletion: later entries of the run move back into the gap (no tombstones). */
  private removeEntry(e: number): void {
    const { table, hashes, mask } = this;
    let gap = e;
    for (let i = (e + 1) & mask; table[i] !== 0; i = (i + 1) & mask) {
      const home = hashes[i] & mask;
      // Entry i may fill the gap unless its home lies cyclically in (gap, i].
      const between = gap <= i ? home > gap && home <= i : home > gap || home <= i;
      if (between) continue;
      table[gap] = table[i];
      hashes[gap] = hashes[i];
      gap = i;
    }
    table[gap] = 0;
    this.entries--;
  }

  /**
   * Past a quarter full (it grows at half): the next table is allocated and mapped in step with the
   * entries still to come, so the rehash writes into mapped memory (see Prefault).
   */
  private prepareTable(): void {
    const cap = this.mask + 1;
    if (this.nextTable?.table.length !== cap * 2) {
      const buffer = columnBuffer(cap * 2 * 8);
      const table = new Int32Array(buffer, 0, cap * 2);
      const hashes = new Int32Array(buffer, cap * 8, cap * 2);
      this.nextTable = { table, hashes, from: this.entries, prefault: new Prefault([table, hashes], [table.byteLength, hashes.byteLength]) };
    }
    const { from, prefault } = this.nextTable;
    prefault.advance((this.entries - from + 1) / Math.max(1, (this.mask >>> 1) - from));
  }

  private grow(): void {
    const { table, hashes } = this;
    const cap = this.mask + 1;
    const spare = this.nextTable?.table.length === cap * 2 ? this.nextTable : undefined;
    this.nextTable = undefined;
    if (spare) {
      this.table = spare.table;
      this.hashes = spare.hashes;
    } else {
      const buffer = columnBuffer(cap * 2 * 8);
      this.table = new Int32Array(buffer, 0, cap * 2);
      this.hashes = new Int32Array(buffer, cap * 8, cap * 2);
    }
    this.mask = cap * 2 - 1;
    for (let e = 0; e < cap; e++) {
      if (table[e] === 0) continue;
      let n = hashes[e] & this.mask;
      while (this.table[n] !== 0) n = (n + 1) & this.mask;
      this.table[n] = table[e];
      this.hashes[n] = hashes[e];
    }
  }
}

/** FNV-1a over bytes, then mixed (the table takes the low bits). */
function hashBytes(source: Uint8Array, offset: number, bytes: number): number {
  let h = 0x811c9dc5;
  for (let i = offset, end = offset + bytes; i < end; i++) h = Math.imul(h ^ source[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
