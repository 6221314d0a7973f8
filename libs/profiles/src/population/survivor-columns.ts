import { nonBlank, SURVIVORSHIP_FIELDS } from '../survivorship';
import { ShardedMap } from './sharded-map';

const FIELDS = SURVIVORSHIP_FIELDS.length;

/**
 * Instants whose millisecond the database gives back unchanged: PostgreSQL keeps microseconds and
 * node-postgres truncates them to a millisecond, so an instant with more than three fractional digits
 * may come back a millisecond later (rounded to the microsecond first) than `Date.parse` reads it; one
 * with another form (an offset, a year before 1000) may be read differently by either. Every stored
 * instant read back has this form (`toISOString`).
 */
const EXACT_INSTANT = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/**
 * Per slot, the attributes survivorship reads (SURVIVORSHIP_FIELDS), trimmed, as codes into one
 * dictionary of their distinct values (names, places and dates repeat), and whether the slot's inputs are
 * held at all: its instant must come back from the database as it was staged (EXACT_INSTANT). Source,
 * record id, instant and identifiers are in the population already (see Population.survivorInputs).
 */
export class SurvivorColumns {
  /** Codes per slot. */
  static readonly FIELDS = FIELDS;
  /** Slot-major: FIELDS codes per slot, -1 = absent or blank. */
  private codes: Int32Array;
  private held: Uint8Array;
  private readonly values: string[] = [];
  private readonly valueIndex = new ShardedMap<number>();

  constructor(capacity: number) {
    this.codes = new Int32Array(capacity * FIELDS);
    this.held = new Uint8Array(capacity);
  }

  /** Distinct attribute values kept. */
  get distinctValues(): number {
    return this.values.length;
  }

  /** Takes a slot's state (as stored, or as staged: the version the database will hold once committed). */
  set(slot: number, attributes: Readonly<Record<string, unknown>> | null | undefined, occurredAt: string, deleted: boolean): void {
    if (deleted || !EXACT_INSTANT.test(occurredAt) || !Number.isFinite(Date.parse(occurredAt))) {
      this.held[slot] = 0;
      return;
    }
    const at = slot * FIELDS;
    const raw = attributes ?? {};
    for (let f = 0; f < FIELDS; f++) {
      const v = raw[SURVIVORSHIP_FIELDS[f]];
      this.codes[at + f] = nonBlank(v as string | undefined) ? this.intern((v as string).trim()) : -1;
    }
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
    const at = slot * FIELDS;
    for (let f = 0; f < FIELDS; f++) {
      const code = this.codes[at + f];
      if (code >= 0) out[SURVIVORSHIP_FIELDS[f]] = this.values[code];
    }
    return out;
  }

  /** The arrays held now, in the order moveInto takes them (for mapping the next ones ahead). */
  columns(): [Int32Array, Uint8Array] {
    return [this.codes, this.held];
  }

  /**
   * Moves into larger arrays (`codes`: FIELDS per slot; allocated by the population with its other
   * columns, in one buffer: see Population.allocateColumns), copying what is held.
   */
  moveInto(codes: Int32Array, held: Uint8Array): void {
    if (codes.length < this.codes.length || held.length < this.held.length || codes.length !== held.length * FIELDS) throw new Error('SurvivorColumns.moveInto: the new arrays must be larger, FIELDS codes per slot');
    codes.set(this.codes);
    this.codes = codes;
    held.set(this.held);
    this.held = held;
  }

  private intern(value: string): number {
    let code = this.valueIndex.get(value);
    if (code === undefined) {
      code = this.values.push(value) - 1;
      this.valueIndex.set(value, code);
    }
    return code;
  }
}
