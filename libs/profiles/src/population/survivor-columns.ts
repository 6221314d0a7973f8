import { nonBlank, SURVIVORSHIP_FIELDS } from '../survivorship';
import { ARENA_CHUNK_BITS, ByteArena } from './byte-arena';

const FIELDS = SURVIVORSHIP_FIELDS.length;

/**
 * Instants whose millisecond the database gives back unchanged: PostgreSQL keeps microseconds and
 * node-postgres truncates them to a millisecond, so an instant with more than three fractional digits
 * may come back a millisecond later (rounded to the microsecond first) than `Date.parse` reads it; one
 * with another form (an offset, a year before 1000) may be read differently by either. Every stored
 * instant read back has this form (`toISOString`).
 */
const EXACT_INSTANT = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Between a slot's values in the arena. PostgreSQL's jsonb refuses it in text, so stored values never hold it. */
const SEPARATOR = '\u0000';

/**
 * Per slot, the attributes survivorship reads (SURVIVORSHIP_FIELDS), trimmed, as UTF-8 bytes outside
 * the JavaScript heap: the slot's values joined by SEPARATOR in chunks of 16 MB that are never copied,
 * and per slot their place and length. The values used to be codes into one dictionary of distinct
 * strings and its map (a million strings at 1M records, which every full collection marked, and a hash
 * and a far read per value when staging). Also whether the slot's inputs are held at all: its instant must
 * come back from the database as it was staged (EXACT_INSTANT). Source, record id, instant and
 * identifiers are in the population already (see Population.survivorInputs).
 *
 * Bytes of a slot's earlier value set are not reclaimed unless the new set fits in their place (a kept
 * version); slots are never reused either, so this grows with the versions held, as the columns do.
 */
export class SurvivorColumns {
  /** Per slot: position in the arena (chunk << chunkBits | offset). */
  private start: Uint32Array;
  /** Per slot: bytes in the arena. */
  private length: Int32Array;
  private held: Uint8Array;
  private readonly arena: ByteArena;

  /** `chunkBits`: log2 of the arena's chunk size (specs make it small to cross chunks). */
  constructor(
    capacity: number,
    chunkBits = ARENA_CHUNK_BITS,
  ) {
    this.arena = new ByteArena('SurvivorColumns', chunkBits);
    this.start = new Uint32Array(capacity);
    this.length = new Int32Array(capacity);
    this.held = new Uint8Array(capacity);
  }

  /** Arena bytes allocated. */
  get arenaBytes(): number {
    return this.arena.allocated;
  }

  /** Takes a slot's state (as stored, or as staged: the version the database will hold once committed). */
  set(slot: number, attributes: Readonly<Record<string, unknown>> | null | undefined, occurredAt: string, deleted: boolean): void {
    // Room the slot's values hold now (a kept version may overwrite them in place), -1 none.
    const room = this.held[slot] === 1 ? this.length[slot] : -1;
    this.held[slot] = 0;
    if (deleted || !EXACT_INSTANT.test(occurredAt) || !Number.isFinite(Date.parse(occurredAt))) return;
    const raw = attributes ?? {};
    let joined = '';
    for (let f = 0; f < FIELDS; f++) {
      const v = raw[SURVIVORSHIP_FIELDS[f]];
      if (f > 0) joined += SEPARATOR;
      if (!nonBlank(v as string | undefined)) continue;
      const value = (v as string).trim();
      // Not expected (see SEPARATOR); such a slot's row is read from the database instead.
      if (value.includes(SEPARATOR)) return;
      joined += value;
    }
    const bytes = Buffer.byteLength(joined, 'utf8');
    let at: number;
    if (bytes <= room) at = this.start[slot];
    else {
      at = this.arena.reserve(bytes);
      // No room (the arena full, or values longer than a chunk): the slot's row is read from the database instead.
      if (at === -1) return;
    }
    if (bytes > 0) this.arena.write(at, joined, bytes);
    this.start[slot] = at;
    this.length[slot] = bytes;
    this.held[slot] = 1;
  }

  /** Forgets what a slot held (its inputs are read from the database again). */
  drop(slot: number): void {
    this.held[slot] = 0;
  }

  isHeld(slot: number): boolean {
    return this.held[slot] === 1;
  }

  /** The attributes survivorship takes of a held slot (trimmed; absent when blank). */
  attributes(slot: number): Record<string, string> {
    const out: Record<string, string> = {};
    const bytes = this.length[slot];
    if (bytes === 0) return out;
    const values = this.arena.text(this.start[slot], bytes).split(SEPARATOR);
    for (let f = 0; f < FIELDS; f++) if (values[f] !== '') out[SURVIVORSHIP_FIELDS[f]] = values[f];
    return out;
  }

  /** The arrays held now, in the order moveInto takes them (for mapping the next ones ahead). */
  columns(): [Uint32Array, Int32Array, Uint8Array] {
    return [this.start, this.length, this.held];
  }

  /**
   * Moves into larger arrays (one element per slot each; allocated by the population with its other
   * columns, in one buffer: see Population.allocateColumns), copying what is held. The arena stays.
   */
  moveInto(start: Uint32Array, length: Int32Array, held: Uint8Array): void {
    if (held.length < this.held.length || start.length !== held.length || length.length !== held.length) throw new Error('SurvivorColumns.moveInto: the new arrays must be larger, one element per slot');
    start.set(this.start);
    this.start = start;
    length.set(this.length);
    this.length = length;
    held.set(this.held);
    this.held = held;
  }
}
