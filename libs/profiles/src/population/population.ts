import { CodedScorer, transformKey, ValueNormalizer, type CodedRecords, type FieldIdentifies, type FieldKind, type KeyTransform, type MatchModel, type RecordIdentifier } from '@tandem/identity-engine';
import { RecordNormalizer } from '../record-model';
import { ruleKeyHash } from './key-hash';
import { KeyIndex } from './key-index';
import { columnBuffer, float64Column } from './column-memory';
import { Prefault } from './prefault';
import { ShardedMap } from './sharded-map';
import { SlotStrings } from './slot-strings';
import { SurvivorColumns } from './survivor-columns';
import type { SurvivorshipRecord } from '../survivorship';

/** A source record's state as stored (a source_records row) or as an event brings it. */
export interface RecordState {
  id: string;
  source: string;
  sourceRecordId: string;
  version: number;
  /** ISO instant of the record's last change in its source. */
  occurredAt: string;
  deleted: boolean;
  attributes: Record<string, string | undefined>;
  identifiers: ReadonlyArray<{ type: string; value: string; verified?: boolean }>;
  profileId: string | null;
  /** The record states consent or suppression (it has record_consents rows). */
  hasConsents: boolean;
}

/** A record's value codes (schema order, -1 = missing) and index keys, before it has a slot. */
export interface PreparedRecord {
  codes: Int32Array;
  keys: number[];
  /** Its identifiers as RecordNormalizer gives them (its identifier rows and survivorship take them too). */
  identifiers: RecordIdentifier[];
  /** Bit i: identifiers[i] is verified (-1: too many identifiers to say; see sameMatchingInputs). */
  verified: number;
}

/** A cluster of records the resolver keeps as one person. */
export interface LiveProfile {
  id: string;
  /** Live record slots, in no particular order. */
  members: number[];
  /** The profile has profile_consents rows. */
  consents: boolean;
}

const ALIVE = 1;
const DELETED = 2;
const CONSENTS = 4;
/** A live record staged by a resolution in progress: its keys are in the index already. */
const STAGED = 8;
/** previousOf not looked up yet. */
const UNKNOWN_SLOT = -2;
/** Flags of a slot a candidate search meets (see isCandidate), for loops that read `candidateFlags`. */
export const CANDIDATE = ALIVE | STAGED;

// Kinds whose raw values repeat (names, places, dates): raw → code is cached per field. Near-unique
// kinds (emails, phones, streets) would only fill the cache.
const CACHED_KINDS: ReadonlySet<FieldKind> = new Set(['givenName', 'familyName', 'birthDate', 'city', 'region', 'country', 'gender', 'postcode', 'houseNumber']);
const RAW_CACHE_LIMIT = 200_000;

/** Blocking rules that only repeat an identifier: identifiers are indexed by themselves. */
const IDENTIFIER_RULE = /^(email|phone|externalId)\.value$/;

interface CompiledRule {
  name: string;
  fields: number[];
  transforms: KeyTransform[];
  unordered: boolean;
}

/**
 * The streaming resolver's in-memory view of every stored source record: each record's normalized
 * values as interned codes (what the pair scorer reads), its identifier and blocking keys in a
 * numeric index, its profile, and the steward constraints and refused links around it. PostgreSQL
 * stays the system of record: the view is loaded from it at start and kept current through the
 * resolution log (see ResolutionLog), so instances that share a database agree.
 *
 * Records live in slots that are never reused: a new version of a record takes a new slot and the old
 * one dies, unless it changes nothing the matcher reads (`keep`: the slot stays, with the new version). Slots past `committed` are staged by a resolution in progress: visible to its scoring, not
 * indexed, dropped by `rollback` and made permanent by `commit`.
 */
export class Population implements CodedRecords {
  readonly scorer: CodedScorer;
  readonly normalizer: RecordNormalizer;
  readonly codes: Int32Array[];
  /** The codes slot by slot (see CodedRecords.rows): what the pair scorer reads. Replaced as slots grow. */
  rows: Int32Array;
  readonly dictionaries: string[][];
  /** Position in the resolution log this view reflects. */
  seq = 0;

  // Per slot.
  readonly profileOf: (string | null)[] = [];
  private versions: Float64Array = new Float64Array(1024);
  private occurred: Float64Array = new Float64Array(1024);
  private flags: Uint8Array = new Uint8Array(1024);
  private keyStart: Int32Array = new Int32Array(1024);
  private keyCount: Uint16Array = new Uint16Array(1024);
  /** Per slot, PreparedRecord.verified (what its identifier rows say beyond the keys). */
  private verifiedBits: Int32Array = new Int32Array(1024);
  /** Grown in column memory (see column-memory.ts), as the columns are. */
  private keyArena: Float64Array = new Float64Array(1 << 14);
  private arenaUsed = 0;
  /** The columns (the key arena) of twice the size, mapped ahead as the current ones fill (see Prefault). */
  private nextColumns?: Columns & Mapping;
  private nextArena?: { arena: Float64Array } & Mapping;
  private length = 0;
  private committedLength = 0;
  private deadSlots = 0;

  /**
   * Per slot, its record's id and sort key (`source NUL sourceRecordId`) as bytes, with indexes: from
   * sort key to the record's current slot (deleted records included), from id to its live slot. As
   * strings and Maps they were two million strings at a million records, marked by every full collection.
   */
  private readonly ids: SlotStrings;
  private readonly sortKeys: SlotStrings;
  readonly index: KeyIndex;
  private livePostings = 0;
  readonly profiles = new Map<string, LiveProfile>();

  /** Steward must-links and do-not-links, by record id. */
  readonly mustLinks = new Map<string, Set<string>>();
  readonly doNotLinks = new Map<string, Set<string>>();
  /** Open review items by record id; `refused` are those scored at or above the link threshold (links the clustering kept apart). */
  readonly openReview = new Map<string, Set<string>>();
  readonly refused = new Map<string, Set<string>>();

  private readonly values: ValueNormalizer;
  private readonly valueIndex: ShardedMap<number>[];
  private readonly rawCache: (Map<string, number> | null)[];
  private readonly derived: Map<KeyTransform, string[]>[];
  private readonly identifierIndex = new ShardedMap<number>();
  readonly identifierValues: string[] = [];
  private readonly rules: CompiledRule[];
  private readonly scratchParts: string[] = [];
  private readonly kinds: FieldKind[];
  private readonly names: string[];
  private readonly emailField: number;
  private readonly phoneField: number;
  private readonly givenField: number;
  private readonly birthField: number;
  private readonly canonicalGiven: number[] = [];
  private readonly canonicalIndex = new Map<string, number>();
  /** What survivorship reads of each slot beyond what the matcher holds (see survivorInputs). */
  private readonly survivors: SurvivorColumns;

  /** `expectedRecords`: how many records will be loaded (sizes the key index once instead of doubling it). */
  constructor(
    readonly model: MatchModel,
    expectedRecords = 0,
  ) {
    this.index = new KeyIndex(expectedRecords * 12);
    if (expectedRecords > 0) {
      // Room for half as many records again: growing copies every column, and on this machine touching that
      // much fresh memory at once stalled the process for about a second (page faults, ~5 ms per MB), in
      // the middle of consuming. Room not yet used costs address space only (pages are faulted in as slots fill).
      const cap = Math.max(1024, Math.ceil(expectedRecords * 1.5));
      this.versions = float64Column(cap);
      this.occurred = float64Column(cap);
      this.flags = new Uint8Array(columnBuffer(cap));
      this.keyStart = new Int32Array(columnBuffer(cap * 4));
      this.keyCount = new Uint16Array(columnBuffer(cap * 2));
      this.verifiedBits = new Int32Array(columnBuffer(cap * 4));
      this.keyArena = float64Column(cap * 16);
    }
    this.survivors = new SurvivorColumns(this.flags.length);
    this.ids = new SlotStrings(this.flags.length);
    this.sortKeys = new SlotStrings(this.flags.length);
    this.scorer = new CodedScorer(model);
    this.normalizer = new RecordNormalizer(model);
    this.values = new ValueNormalizer(model.normalization);
    const F = model.fields.length;
    this.kinds = model.fields.map((f) => f.kind);
    this.names = model.fields.map((f) => f.name);
    this.codes = Array.from({ length: F }, () => new Int32Array(columnBuffer(this.flags.length * 4)));
    this.rows = new Int32Array(columnBuffer(this.flags.length * F * 4));
    this.dictionaries = Array.from({ length: F }, () => []);
    this.valueIndex = Array.from({ length: F }, () => new ShardedMap<number>());
    this.rawCache = this.kinds.map((k) => (CACHED_KINDS.has(k) ? new Map() : null));
    this.derived = Array.from({ length: F }, () => new Map());
    this.emailField = this.kinds.indexOf('email');
    this.phoneField = this.kinds.indexOf('phone');
    this.givenField = this.kinds.indexOf('givenName');
    this.birthField = this.kinds.indexOf('birthDate');
    const fieldIndex = new Map(this.names.map((n, i) => [n, i]));
    // Weak (optional) rules are for batch files within a pair budget; a stream meets populations of any
    // size, where they only add candidates (on 50,000 synthetic records: same recall, better precision,
    // 2.5 times fewer pairs scored without them).
    this.rules = model.blocking.rules
      .filter((r) => !IDENTIFIER_RULE.test(r.name) && !r.optional)
      .map((r) => ({
        name: r.name,
        fields: r.parts.map((p) => {
          const f = fieldIndex.get(p.field);
          if (f === undefined) throw new Error(`blocking rule ${r.name}: unknown field ${p.field}`);
          return f;
        }),
        transforms: r.parts.map((p) => p.transform),
        unordered: Boolean(r.unordered),
      }));
  }

  /** Slots held, staged ones included. */
  get slots(): number {
    return this.length;
  }

  get committed(): number {
    return this.committedLength;
  }

  /**
   * Slots of replaced or forgotten versions still held (their typed columns; their strings are freed).
   * A population with many more of them than live records is worth reading afresh.
   */
  get dead(): number {
    return this.deadSlots;
  }

  /** Live records (not deleted, not replaced). */
  get liveRecords(): number {
    return this.ids.indexed;
  }

  /** Every live committed slot. */
  liveSlots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.committedLength; s++) if (this.flags[s] & ALIVE) out.push(s);
    return out;
  }

  isAlive(slot: number): boolean {
    return (this.flags[slot] & ALIVE) !== 0;
  }

  /** Live and committed, or staged (and not deleted) by the resolution in progress: what a candidate search meets. */
  isCandidate(slot: number): boolean {
    return (this.flags[slot] & (ALIVE | STAGED)) !== 0;
  }

  /** Every slot's flags: `(candidateFlags[s] & CANDIDATE) !== 0` is isCandidate(s). Replaced as slots grow. */
  get candidateFlags(): Uint8Array {
    return this.flags;
  }

  isDeleted(slot: number): boolean {
    return (this.flags[slot] & DELETED) !== 0;
  }

  hasConsents(slot: number): boolean {
    return (this.flags[slot] & CONSENTS) !== 0;
  }

  version(slot: number): number {
    return this.versions[slot];
  }

  occurredAt(slot: number): number {
    return this.occurred[slot];
  }

  /** The current slot of a record by `source NUL sourceRecordId` (deleted records included). */
  slotOfKey(sortKey: string): number | undefined {
    return this.sortKeys.find(sortKey);
  }

  /** A slot's record id ('' once the slot is released: replaced and committed over, forgotten or rolled back). */
  idOf(slot: number): string {
    return this.ids.get(slot);
  }

  /** A slot's `source NUL sourceRecordId` ('' once released, as idOf). */
  sortKeyOf(slot: number): string {
    return this.sortKeys.get(slot);
  }

  /** Slots in sort key order (each key read once). */
  sortedBySortKey(slots: Iterable<number>): number[] {
    const keyed = Array.from(slots, (slot) => ({ slot, key: this.sortKeys.get(slot) }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return keyed.map((k) => k.slot);
  }

  /**
   * The committed slot a staged slot's record had when it was staged (what slotOfKey said then), or
   * undefined for a new record: remembered, since every plan asks several times per staged record and
   * each look-up in a map of a million strings is a few trips to memory.
   */
  previousOf(staged: number): number | undefined {
    const at = staged - this.committedLength;
    if (at < 0) return this.sortKeys.findSame(staged);
    let previous = this.stagedPrevious[at];
    if (previous === UNKNOWN_SLOT) {
      previous = this.sortKeys.findSame(staged) ?? -1;
      this.stagedPrevious[at] = previous;
    }
    return previous < 0 ? undefined : previous;
  }

  /** Per staged slot (from `committed`), previousOf's answer: -1 none, UNKNOWN_SLOT not looked up yet. */
  private readonly stagedPrevious: number[] = [];

  /** The current slot of a live record by id. */
  slotOfId(id: string): number | undefined {
    return this.ids.find(id);
  }

  /** Where a slot's keys start in `keys` (see keysOf), and how many there are. */
  keyOffset(slot: number): number {
    return this.keyStart[slot];
  }

  keyLength(slot: number): number {
    return this.keyCount[slot];
  }

  /** Every slot's keys, back to back (see keyOffset). */
  get keys(): Float64Array {
    return this.keyArena;
  }

  /** The keys of a slot: identifier codes as negative numbers (-(code + 1)), then blocking-key hashes. */
  keysOf(slot: number): Float64Array {
    const start = this.keyStart[slot];
    return this.keyArena.subarray(start, start + this.keyCount[slot]);
  }

  /**
   * A record's value codes and index keys, computed without a slot: normalization and interning only
   * (dictionaries only grow, so this may run at any time, e.g. while a transaction waits on the
   * database). `stage` takes it.
   */
  prepare(record: Pick<RecordState, 'source' | 'attributes' | 'identifiers'>): PreparedRecord {
    const F = this.codes.length;
    const codes = new Int32Array(F);
    const identifiers = this.normalizer.identifiers(record);
    const raw = record.attributes ?? {};
    for (let f = 0; f < F; f++) codes[f] = this.codeOf(f, raw, identifiers);
    const keys: number[] = [];
    for (const id of identifiers) pushUnique(keys, -(this.identifierCode(`${id.type}=${id.value}`) + 1));
    const parts = this.scratchParts;
    for (const rule of this.rules) {
      let n = 0;
      for (; n < rule.fields.length; n++) {
        const part = this.transformed(rule.fields[n], rule.transforms[n], codes[rule.fields[n]]);
        if (!part) break;
        parts[n] = part;
      }
      if (n !== rule.fields.length) continue;
      if (rule.unordered) sortParts(parts, n);
      pushUnique(keys, ruleKeyHash(rule.name, parts, n));
    }
    let verified = identifiers.length > 31 ? -1 : 0;
    if (verified === 0) for (let i = 0; i < identifiers.length; i++) if (identifiers[i].verified) verified |= 1 << i;
    return { codes, keys, identifiers, verified };
  }

  /**
   * Whether a prepared version carries exactly what a live slot holds for matching and for its
   * identifier rows: every value code the scorer compares, its identifier codes and blocking-key hashes
   * (same keys in the same order), and its identifiers' verified flags. Such a version scores the same
   * with every record and carries the same keys (see Population.keep).
   */
  sameMatchingInputs(slot: number, prepared: PreparedRecord): boolean {
    if (!(this.flags[slot] & ALIVE) || prepared.verified < 0 || this.verifiedBits[slot] !== prepared.verified) return false;
    const F = this.codes.length;
    const rows = this.rows;
    for (let f = 0, at = slot * F; f < F; f++, at++) if (rows[at] !== prepared.codes[f]) return false;
    const keys = prepared.keys;
    if (this.keyCount[slot] !== keys.length) return false;
    const start = this.keyStart[slot];
    for (let i = 0; i < keys.length; i++) if (this.keyArena[start + i] !== keys[i]) return false;
    return true;
  }

  /** New versions of live committed slots kept in place (see keep), applied by commitStaged. */
  private readonly keptVersions: Array<{ slot: number; state: Pick<RecordState, 'occurredAt' | 'attributes'>; version: number; occurred: number; consents: boolean }> = [];

  /**
   * Takes a new version of a live committed record in place of its slot, when it changes nothing the
   * matcher reads (sameMatchingInputs): its scores, keys and carriers stay what they are, so it needs no
   * new slot, no candidate search and no re-clustering. Its version, instant and consent flag change
   * when the plan is applied (commitStaged); `rollback` drops it.
   */
  keep(slot: number, state: Pick<RecordState, 'version' | 'occurredAt' | 'hasConsents' | 'attributes'>): void {
    this.keptVersions.push({ slot, state, version: state.version, occurred: Date.parse(state.occurredAt), consents: state.hasConsents });
  }

  /**
   * Appends a slot for `state` (normalized, coded and keyed; `prepared` when done before) and indexes
   * its keys, so the resolution's candidate search meets it; `rollback` takes it back, `commitStaged`
   * makes it the record's current version.
   */
  stage(state: RecordState, prepared?: PreparedRecord, sortKey = `${state.source}\u0000${state.sourceRecordId}`, previous?: number): number {
    const slot = this.length;
    if (slot === this.flags.length) this.grow();
    else if (slot >= this.flags.length >>> 1) this.prepareColumns(slot);
    this.length++;
    this.stagedPrevious[slot - this.committedLength] = previous ?? UNKNOWN_SLOT;
    this.ids.set(slot, state.id);
    this.sortKeys.set(slot, sortKey);
    this.profileOf[slot] = state.profileId;
    this.versions[slot] = state.version;
    this.occurred[slot] = Date.parse(state.occurredAt);
    this.flags[slot] = (state.deleted ? DELETED : 0) | (state.hasConsents ? CONSENTS : 0);
    this.survivors.set(slot, state.attributes, state.occurredAt, state.deleted);
    const F = this.codes.length;
    this.verifiedBits[slot] = -1;
    if (state.deleted) {
      for (let f = 0; f < F; f++) this.codes[f][slot] = -1;
      this.rows.fill(-1, slot * F, slot * F + F);
      this.keyStart[slot] = this.arenaUsed;
      this.keyCount[slot] = 0;
      return slot;
    }
    const { codes, keys, verified } = prepared ?? this.prepare(state);
    this.verifiedBits[slot] = verified;
    for (let f = 0; f < F; f++) this.codes[f][slot] = codes[f];
    this.rows.set(codes, slot * F);
    const needed = this.arenaUsed + keys.length;
    if (needed > this.keyArena.length) {
      const spare = this.nextArena?.arena;
      const arena = spare && spare.length >= needed ? spare : float64Column(Math.max(this.keyArena.length * 2, needed));
      arena.set(this.keyArena.subarray(0, this.arenaUsed));
      this.keyArena = arena;
      this.nextArena = undefined;
    } else if (needed >= this.keyArena.length >>> 1) this.prepareArena(needed);
    this.keyStart[slot] = this.arenaUsed;
    this.keyCount[slot] = keys.length;
    for (const k of keys) this.keyArena[this.arenaUsed++] = k;
    for (const k of keys) this.index.add(k, slot);
    this.livePostings += keys.length;
    this.flags[slot] |= STAGED;
    return slot;
  }

  /**
   * Drops every staged slot. Their numbers are not given out again: the key index still lists them
   * under their keys (as dead postings), and a reused number would make another record a carrier of those keys.
   */
  rollback(): void {
    for (let s = this.committedLength; s < this.length; s++) {
      if (this.flags[s] & STAGED) {
        for (const k of this.keysOf(s)) this.index.release(k);
        this.livePostings -= this.keyCount[s];
      }
      this.flags[s] = 0;
      this.ids.clear(s);
      this.sortKeys.clear(s);
      this.profileOf[s] = null;
      this.deadSlots++;
    }
    this.keptVersions.length = 0;
    this.committedLength = this.length;
    this.stagedPrevious.length = 0;
    this.endPlan();
  }

  /**
   * Makes the staged slots permanent: each replaces the record's previous slot (which dies), live ones
   * are indexed and join their profile (`profileOf` as the resolution set it).
   */
  commitStaged(): void {
    for (let s = this.committedLength; s < this.length; s++) {
      const previous = this.sortKeys.findSame(s);
      // Indexed first: the previous slot's bytes, which the index compares with, go when it is released.
      this.sortKeys.put(s);
      if (previous !== undefined) {
        this.retire(previous);
        this.release(previous);
      }
      if (this.flags[s] & DELETED) {
        this.profileOf[s] = null;
        continue;
      }
      this.flags[s] = (this.flags[s] & ~STAGED) | ALIVE;
      this.ids.put(s);
      const p = this.profileOf[s];
      if (p) this.join(p, s);
    }
    for (const k of this.keptVersions) {
      this.versions[k.slot] = k.version;
      this.occurred[k.slot] = k.occurred;
      this.setConsents(k.slot, k.consents);
      this.survivors.set(k.slot, k.state.attributes, k.state.occurredAt, false);
    }
    this.keptVersions.length = 0;
    this.committedLength = this.length;
    this.stagedPrevious.length = 0;
    this.endPlan();
    if (this.index.size > 2 * this.livePostings + 100_000) this.compact();
  }

  /** Moves a live committed slot to another profile (null: none). */
  moveTo(slot: number, profileId: string | null): void {
    const from = this.profileOf[slot];
    if (from === profileId) return;
    if (from) this.leave(from, slot);
    this.profileOf[slot] = profileId;
    if (profileId) this.join(profileId, slot);
  }

  /** Forgets a record (erased, or gone from the database). */
  forget(slot: number): void {
    this.retire(slot);
    this.sortKeys.remove(slot);
    this.release(slot);
  }

  /** A slot no map points at any more: its strings go (postings and caches may still name the slot). */
  private release(slot: number): void {
    this.ids.clear(slot);
    this.sortKeys.clear(slot);
    this.profileOf[slot] = null;
    this.deadSlots++;
  }

  /**
   * What survivorship reads of a committed slot, as the database would give it (its source_records row
   * with its identifiers normalized), or undefined when the slot does not hold it (see SurvivorColumns;
   * more than 31 identifiers): the caller reads that row. Source and record id come from the sort key,
   * the instant from the slot, the identifiers from its identifier keys (the normalizer's identifiers,
   * deduplicated and sorted, one key each in that order) with its verified bits; only emails and phones,
   * the identifiers survivorship reads.
   */
  survivorInputs(slot: number): SurvivorshipRecord | undefined {
    const bits = this.verifiedBits[slot];
    if (!this.survivors.isHeld(slot) || bits < 0 || !(this.flags[slot] & ALIVE)) return undefined;
    const sortKey = this.sortKeys.get(slot);
    const nul = sortKey.indexOf('\u0000');
    const identifiers: RecordIdentifier[] = [];
    const keys = this.keyArena;
    const end = this.keyStart[slot] + this.keyCount[slot];
    for (let x = this.keyStart[slot], i = 0; x < end && keys[x] < 0; x++, i++) {
      const text = this.identifierValues[-keys[x] - 1];
      if (!text.startsWith('email=') && !text.startsWith('phone=')) continue;
      identifiers.push({ type: text.slice(0, 5), value: text.slice(6), verified: ((bits >>> i) & 1) === 1 });
    }
    return {
      stored: { source: sortKey.slice(0, nul), sourceRecordId: sortKey.slice(nul + 1), occurredAt: new Date(this.occurred[slot]).toISOString(), attributes: this.survivors.attributes(slot) },
      sortKey,
      identifiers,
    };
  }

  /** Whether two slots carry a common identifier that still identifies (see identifierPeople). */
  shareIdentifier(a: number, b: number): boolean {
    return this.sharedIdentifierType(a, b) !== null;
  }

  score(a: number, b: number): number {
    return this.scorer.scoreAsking(this, a, b, this.shares, this.identifies);
  }

  /** The score when it is at least `floor`, otherwise some number below `floor` (see CodedScorer.scoreAtLeast). */
  scoreAtLeast(a: number, b: number, floor: number): number {
    return this.scorer.scoreAtLeast(this, a, b, floor, this.shares, this.identifies);
  }

  private readonly shares = (a: number, b: number): boolean => this.shareIdentifier(a, b);

  /** Score, rule and evidence of a pair, as the engine's `compare(a, b)` gives them (for links and review items). */
  explain(a: number, b: number): ReturnType<CodedScorer['explain']> {
    return this.scorer.explain(this, a, b, this.sharedIdentifierType(a, b), this.identifies);
  }

  /** The type of a's first identifier (in sorted order) that b carries too and that still identifies. */
  sharedIdentifierType(a: number, b: number): string | null {
    const keys = this.keyArena;
    const aEnd = this.keyStart[a] + this.keyCount[a];
    const bStart = this.keyStart[b];
    const bEnd = bStart + this.keyCount[b];
    // Identifier keys (negative) come first.
    for (let x = this.keyStart[a]; x < aEnd && keys[x] < 0; x++) {
      for (let y = bStart; y < bEnd && keys[y] < 0; y++) {
        if (keys[x] !== keys[y]) continue;
        const code = -keys[x] - 1;
        if (this.identifierPeople(code) > this.model.guardrails.maxPeoplePerIdentifier) continue;
        const text = this.identifierValues[code];
        return text.slice(0, text.indexOf('='));
      }
    }
    return null;
  }

  /** Whether any steward constraint exists (most scoring can skip looking). */
  get constrained(): boolean {
    return this.mustLinks.size > 0 || this.doNotLinks.size > 0;
  }

  /** An exact match on an email or phone field identifies only while few enough people carry the value. */
  private readonly identifies: FieldIdentifies = (field, code) => {
    const type = field === this.emailField ? 'email' : field === this.phoneField ? 'phone' : null;
    if (type === null) return true;
    // The identifier code of a field's value code, remembered (both only ever grow): building the
    // identifier's text and looking it up in a map of every identifier was a string and a hash per exact match.
    const known = type === 'email' ? this.emailIdentifier : this.phoneIdentifier;
    let id: number | undefined = code < known.length ? known[code] - 1 : -1;
    if (id < 0) {
      id = this.identifierIndex.get(`${type}=${this.dictionaries[field][code]}`);
      if (id === undefined) return true;
      this.rememberIdentifier(type, code, id);
    }
    return this.identifierPeople(id) <= this.model.guardrails.maxPeoplePerIdentifier;
  };

  /** Per email (phone) value code, its identifier code + 1 (0: not looked up yet). */
  private emailIdentifier = new Int32Array(1024);
  private phoneIdentifier = new Int32Array(1024);

  private rememberIdentifier(type: 'email' | 'phone', code: number, id: number): void {
    let known = type === 'email' ? this.emailIdentifier : this.phoneIdentifier;
    if (code >= known.length) {
      let cap = known.length;
      while (cap <= code) cap *= 2;
      const grown = new Int32Array(cap);
      grown.set(known);
      known = grown;
      if (type === 'email') this.emailIdentifier = grown;
      else this.phoneIdentifier = grown;
    }
    known[code] = id + 1;
  }

  /**
   * Distinct people carrying an identifier: among its live carriers (staged ones included, those
   * `replacing` leaves out excluded), distinct person signatures (the canonical given name and the birth
   * year, as the batch pipeline counts them). With `committedOnly`, among committed live records only.
   * Cached until the population or the plan changes.
   */
  identifierPeople(code: number, committedOnly = false): number {
    const cache = committedOnly ? this.peopleBefore : this.peopleNow;
    const hit = cache.get(code);
    if (hit !== undefined) return hit;
    const signatures: number[] = [];
    const key = -(code + 1);
    for (let p = this.index.firstPosting(key); p >= 0; p = this.index.nextPosting(p)) {
      const slot = this.index.postingSlot(p);
      if (committedOnly ? !(this.flags[slot] & ALIVE) : !this.isCandidate(slot) || this.replacing?.has(slot)) continue;
      const signature = this.signature(slot);
      if (signature >= 0 && !signatures.includes(signature)) signatures.push(signature);
      // Past the guardrail the exact number does not matter.
      if (signatures.length > this.model.guardrails.maxPeoplePerIdentifier + 1) break;
    }
    cache.set(code, signatures.length);
    return signatures.length;
  }

  /** Slots a plan in progress replaces (not counted as carriers), or null between plans. */
  replacing: ReadonlySet<number> | null = null;
  private readonly peopleNow = new Map<number, number>();
  private readonly peopleBefore = new Map<number, number>();

  /** Live carriers of each key among the slots the plan in progress replaces. */
  private readonly replacedCarriers = new Map<number, number>();

  /** Starts a plan: people and carrier counts are taken afresh (staged records count, `replaced` do not). */
  beginPlan(replaced: ReadonlySet<number>): void {
    this.replacing = replaced;
    this.peopleNow.clear();
    this.peopleBefore.clear();
    this.replacedCarriers.clear();
    for (const s of replaced) if (this.flags[s] & ALIVE) for (const k of this.keysOf(s)) this.replacedCarriers.set(k, (this.replacedCarriers.get(k) ?? 0) + 1);
  }

  private endPlan(): void {
    this.replacing = null;
    this.peopleNow.clear();
    this.peopleBefore.clear();
    this.replacedCarriers.clear();
  }

  /**
   * Records carrying a key once the plan in progress commits: live committed ones it does not replace,
   * and staged ones. The size of a key's block, for the candidate search and the clustering alike.
   */
  carriers(key: number): number {
    return this.carriersAt(key, this.index.entryOf(key));
  }

  /** carriers(key) with the key's index entry already looked up (KeyIndex.entryOf). */
  carriersAt(key: number, entry: number): number {
    const replaced = this.replacedCarriers.size === 0 ? 0 : (this.replacedCarriers.get(key) ?? 0);
    return this.index.entryCount(entry) - replaced;
  }

  /** Keys carried by slots the plan in progress replaces. */
  replacedKeys(): IterableIterator<number> {
    return this.replacedCarriers.keys();
  }

  /** A person signature of a slot: canonical given name and birth year; -1 without a given name. */
  private signature(slot: number): number {
    if (this.givenField < 0) return slot;
    const g = this.codes[this.givenField][slot];
    if (g < 0) return -1;
    let canonical: number | undefined = this.canonicalGiven[g];
    if (canonical === undefined) {
      const text = transformKey('canonical', this.dictionaries[this.givenField][g]);
      canonical = this.canonicalIndex.get(text) ?? this.canonicalIndex.size;
      if (canonical === this.canonicalIndex.size) this.canonicalIndex.set(text, canonical);
      this.canonicalGiven[g] = canonical;
    }
    const b = this.birthField < 0 ? -1 : this.codes[this.birthField][slot];
    let year = 4095;
    if (b >= 0) {
      const y = Number.parseInt(this.dictionaries[this.birthField][b].slice(0, 4), 10);
      if (Number.isFinite(y) && y >= 0) year = y % 4096;
    }
    return canonical * 4096 + year;
  }

  setConsents(slot: number, consents: boolean): void {
    if (consents) this.flags[slot] |= CONSENTS;
    else this.flags[slot] &= ~CONSENTS;
  }

  private retire(slot: number): void {
    if (this.flags[slot] & ALIVE) {
      this.flags[slot] &= ~ALIVE;
      for (const k of this.keysOf(slot)) this.index.release(k);
      this.livePostings -= this.keyCount[slot];
      this.ids.removeIfAt(slot);
    }
    const p = this.profileOf[slot];
    if (p) this.leave(p, slot);
    this.profileOf[slot] = null;
  }

  private join(profileId: string, slot: number): void {
    let p = this.profiles.get(profileId);
    if (!p) {
      p = { id: profileId, members: [], consents: false };
      this.profiles.set(profileId, p);
    }
    p.members.push(slot);
  }

  private leave(profileId: string, slot: number): void {
    const p = this.profiles.get(profileId);
    if (!p) return;
    const at = p.members.indexOf(slot);
    if (at >= 0) {
      p.members[at] = p.members[p.members.length - 1];
      p.members.pop();
    }
    if (p.members.length === 0) this.profiles.delete(profileId);
  }

  /** Rebuilds the key index from live slots only (postings of dead slots pile up otherwise). */
  private compact(): void {
    this.index.clear();
    this.livePostings = 0;
    for (let s = 0; s < this.committedLength; s++) {
      if (!(this.flags[s] & ALIVE)) continue;
      for (const k of this.keysOf(s)) this.index.add(k, s);
      this.livePostings += this.keyCount[s];
    }
    this.index.pack();
  }

  /** Lays the key index's lists out in consecutive memory (KeyIndex.pack): once a population is loaded. */
  packIndex(): void {
    this.index.pack();
  }

  private codeOf(f: number, raw: Record<string, string | undefined>, identifiers: RecordIdentifier[]): number {
    if (f === this.emailField || f === this.phoneField) {
      const type = f === this.emailField ? 'email' : 'phone';
      let first: string | null = null;
      for (const id of identifiers) if (id.type === type && (first === null || id.value < first)) first = id.value;
      return first === null ? -1 : this.intern(f, first);
    }
    const kind = this.kinds[f];
    const name = this.names[f];
    let value = raw[name];
    // A record with only a full name: its first token is the given name, the rest the family name.
    if ((value === undefined || value === '') && raw.fullName && (kind === 'givenName' || kind === 'familyName')) {
      const tokens = raw.fullName.split(/\s+/);
      const part = kind === 'givenName' ? tokens[0] : tokens.slice(1).join(' ');
      const normalized = this.values.normalize(kind, part);
      return normalized === null ? -1 : this.intern(f, normalized);
    }
    if (value === undefined || value === null || value === '') return -1;
    const cache = this.rawCache[f];
    const hit = cache?.get(value);
    if (hit !== undefined) return hit;
    const normalized = this.values.normalize(kind, value);
    const code = normalized === null ? -1 : this.intern(f, normalized);
    if (cache) {
      if (cache.size >= RAW_CACHE_LIMIT) cache.clear();
      cache.set(value, code);
    }
    value = undefined;
    return code;
  }

  private intern(f: number, value: string): number {
    const index = this.valueIndex[f];
    let code = index.get(value);
    if (code === undefined) {
      code = this.dictionaries[f].push(value) - 1;
      index.set(value, code);
    }
    return code;
  }

  private identifierCode(text: string): number {
    let code = this.identifierIndex.get(text);
    if (code === undefined) {
      code = this.identifierValues.push(text) - 1;
      this.identifierIndex.set(text, code);
    }
    return code;
  }

  /**
   * A blocking-key part of a value, computed once per distinct value and transform of the kinds whose
   * values repeat (CACHED_KINDS); of near-unique ones (emails, phones, streets) each time: their cache
   * was a string per record (a million at 1M records, each marked by every full collection) read once.
   */
  private transformed(f: number, transform: KeyTransform, code: number): string {
    if (code < 0) return '';
    if (transform === 'value') return this.dictionaries[f][code];
    if (!this.rawCache[f]) return transformKey(transform, this.dictionaries[f][code]);
    let cache = this.derived[f].get(transform);
    if (!cache) {
      cache = [];
      this.derived[f].set(transform, cache);
    }
    let part = cache[code];
    if (part === undefined) {
      part = transformKey(transform, this.dictionaries[f][code]);
      cache[code] = part;
    }
    return part;
  }

  /**
   * The columns once the slots are full: twice the size, holding what the current ones hold. Into the
   * arrays `prepareColumns` mapped ahead (a copy of memory already mapped: milliseconds), or fresh ones.
   */
  private grow(): void {
    const next = this.nextColumns ?? this.allocateColumns(this.flags.length * 2);
    this.nextColumns = undefined;
    next.versions.set(this.versions);
    next.occurred.set(this.occurred);
    next.flags.set(this.flags);
    next.keyStart.set(this.keyStart);
    next.keyCount.set(this.keyCount);
    next.verifiedBits.set(this.verifiedBits);
    for (let f = 0; f < this.codes.length; f++) next.codes[f].set(this.codes[f]);
    next.rows.set(this.rows);
    this.survivors.moveInto(next.survivorStart, next.survivorLength, next.survivorHeld);
    this.ids.moveInto(next.idStart, next.idSize);
    this.sortKeys.moveInto(next.sortKeyStart, next.sortKeySize);
    ({ versions: this.versions, occurred: this.occurred, flags: this.flags, keyStart: this.keyStart, keyCount: this.keyCount, verifiedBits: this.verifiedBits, rows: this.rows } = next);
    for (let f = 0; f < this.codes.length; f++) this.codes[f] = next.codes[f];
  }

  /**
   * All columns as views of one buffer, in column memory (see column-memory.ts: V8 answered each large
   * ArrayBuffer allocated past its external memory limit with a full garbage collection; as separate
   * ArrayBuffers, some twenty columns cost up to twenty in a row). `cap` is a power of two, so every view is aligned.
   */
  private allocateColumns(cap: number): Columns {
    const F = this.codes.length;
    const buffer = columnBuffer(cap * (8 + 8 + 4 + 4 + 4 * F + 4 * F + 4 + 4 + 4 * 4 + 2 + 1 + 1));
    let at = 0;
    const take = <T>(make: (b: SharedArrayBuffer, offset: number, length: number) => T, bytes: number, length: number): T => {
      const view = make(buffer, at, length);
      at += bytes * length;
      return view;
    };
    const f64 = (b: SharedArrayBuffer, o: number, n: number) => new Float64Array(b, o, n);
    const i32 = (b: SharedArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
    return {
      versions: take(f64, 8, cap),
      occurred: take(f64, 8, cap),
      keyStart: take(i32, 4, cap),
      verifiedBits: take(i32, 4, cap),
      codes: Array.from({ length: F }, () => take(i32, 4, cap)),
      rows: take(i32, 4, cap * F),
      survivorStart: take((b, o, n) => new Uint32Array(b, o, n), 4, cap),
      survivorLength: take(i32, 4, cap),
      idStart: take((b, o, n) => new Uint32Array(b, o, n), 4, cap),
      idSize: take(i32, 4, cap),
      sortKeyStart: take((b, o, n) => new Uint32Array(b, o, n), 4, cap),
      sortKeySize: take(i32, 4, cap),
      keyCount: take((b, o, n) => new Uint16Array(b, o, n), 2, cap),
      flags: take((b, o, n) => new Uint8Array(b, o, n), 1, cap),
      survivorHeld: take((b, o, n) => new Uint8Array(b, o, n), 1, cap),
    };
  }

  /**
   * Once half the slots are taken: the next columns are allocated (address space only) and the part of
   * them the copy will write is mapped a share at a time, in step with the slots still free, so that it
   * is all mapped when the last one is taken. Mapping is counted from the slot where it began (a loaded
   * population starts two thirds full: no burst on its first record).
   */
  private prepareColumns(slot: number): void {
    const cap = this.flags.length;
    if (!this.nextColumns) {
      const next = this.allocateColumns(cap * 2);
      const current = [this.versions, this.occurred, this.flags, this.keyStart, this.keyCount, this.verifiedBits, ...this.codes, this.rows, ...this.survivors.columns(), ...this.ids.columns(), ...this.sortKeys.columns()];
      const arrays = [next.versions, next.occurred, next.flags, next.keyStart, next.keyCount, next.verifiedBits, ...next.codes, next.rows, next.survivorStart, next.survivorLength, next.survivorHeld, next.idStart, next.idSize, next.sortKeyStart, next.sortKeySize];
      this.nextColumns = Object.assign(next, { from: slot, prefault: new Prefault(arrays, current.map((a) => a.byteLength)) });
    }
    const { from, prefault } = this.nextColumns;
    prefault.advance((slot + 1 - from) / (cap - from));
  }

  /** The same for the key arena, by the keys it holds. */
  private prepareArena(needed: number): void {
    const length = this.keyArena.length;
    if (!this.nextArena) {
      const arena = float64Column(length * 2);
      this.nextArena = { arena, from: this.arenaUsed, prefault: new Prefault([arena], [this.keyArena.byteLength]) };
    }
    const { from, prefault } = this.nextArena;
    prefault.advance((needed - from) / Math.max(1, length - from));
  }
}

function pushUnique(list: number[], value: number): void {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return;
  list.push(value);
}

/** Sorts the first n parts in place (string order, as Array.prototype.sort would). */
function sortParts(parts: string[], n: number): void {
  for (let i = 1; i < n; i++) {
    const v = parts[i];
    let j = i - 1;
    for (; j >= 0 && parts[j] > v; j--) parts[j + 1] = parts[j];
    parts[j + 1] = v;
  }
}

/** A population's typed columns (see `grow`). */
interface Columns {
  versions: Float64Array;
  occurred: Float64Array;
  flags: Uint8Array;
  keyStart: Int32Array;
  keyCount: Uint16Array;
  verifiedBits: Int32Array;
  codes: Int32Array[];
  rows: Int32Array;
  /** SurvivorColumns' arrays (see moveInto). */
  survivorStart: Uint32Array;
  survivorLength: Int32Array;
  survivorHeld: Uint8Array;
  /** SlotStrings' arrays for ids and sort keys (see moveInto). */
  idStart: Uint32Array;
  idSize: Int32Array;
  sortKeyStart: Uint32Array;
  sortKeySize: Int32Array;
}

/** Arrays allocated ahead of growth: where their mapping began (a slot, or keys held) and how far it got. */
interface Mapping {
  from: number;
  prefault: Prefault;
}
