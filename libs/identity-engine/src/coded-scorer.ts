import { LevelCache } from './compare/level-cache';
import { jaroWinkler } from './compare/string-metrics';
import type { MatchModel } from './model/match-model';
import { applyGuardrails, compileModel, deterministicMayLink, HOUSEHOLD_RULE, lastGuardrailOutcome, type CompiledModel } from './scoring';
import type { FieldEvidence } from './types';

/**
 * Records held as interned values: per field, a code per record slot (-1 = missing) into a dictionary
 * of normalized values that only ever grows (a code always means the same value). A streaming resolver
 * keeps its population this way; equal values then compare as integers and a level computed for two
 * values is reused for every later pair with the same two values.
 */
export interface CodedRecords {
  /** Per field (schema order), the value code of each record slot. Arrays may be replaced as they grow. */
  readonly codes: readonly Int32Array[];
  /** Per field, the normalized value of each code. */
  readonly dictionaries: readonly (readonly string[])[];
  /**
   * Optionally, the same codes slot by slot (`rows[slot × fields + field]`), read instead of `codes` when
   * present: a pair's codes then sit on one or two cache lines per record instead of one per field, which
   * matters once the columns are far larger than the processor's caches (a million records).
   */
  readonly rows?: Int32Array;
}

/**
 * Whether a value still identifies a person: false once more distinct people than the model's
 * maxPeoplePerIdentifier carry it (a family mailbox, look-alike addresses such as marysmith@…). Asked
 * for exact matches on deterministic fields (email, phone) by field index and value code.
 */
export type FieldIdentifies = (field: number, code: number) => boolean;

/**
 * Scores pairs of coded records: the same number as `compare(a, b, model, context).score` with the
 * model's own term frequencies (`modelTermFrequencyContext`: none for a model without tables) and people
 * counts as `identifies` gives them, at a fraction of its cost: no
 * evidence is built and no object is allocated. The caller says whether the two records share an
 * identifier that still identifies (a type and value both carry), which `compare` reads from the
 * records' identifiers.
 * Identifiers declared unique (whose conflicts veto a link) are not supported: score those with `compare`.
 */
export class CodedScorer {
  readonly cm: CompiledModel;
  readonly linkScore: number;
  readonly reviewScore: number;
  private readonly levels: Int8Array;
  private readonly caches: LevelCache[];
  private readonly F: number;

  constructor(readonly model: MatchModel) {
    this.cm = compileModel(model);
    this.linkScore = this.cm.linkScore;
    this.reviewScore = this.cm.reviewScore;
    this.F = model.fields.length;
    this.levels = new Int8Array(this.F);
    this.caches = model.fields.map(() => new LevelCache(16));
    const cm = this.cm;
    this.weighsFrequency = cm.termFrequencies.some((t) => t !== null);
    this.tfDictionaries = model.fields.map(() => null);
    this.tfAdjustments = model.fields.map(() => new Float64Array(0));
    this.tfComputed = new Int32Array(this.F);
    // Fields whose levels decide deterministicMayLink (person attributes, the family name, and both
    // names for the swap): compared first by scoreAtLeast.
    this.guarding = new Uint8Array(model.fields.map((_, f) => (cm.intrinsic[f] || f === cm.familyIndex || f === cm.givenIndex ? 1 : 0)));
    this.bestInexact = new Float64Array(model.fields.map((_, f) => Math.max(...Array.from(cm.weights[f].subarray(1)))));
    const spread = (f: number) => this.bestInexact[f] - Math.min(...Array.from(cm.weights[f]));
    // The others in the order that lowers the bound most (the largest possible fall first).
    this.pendingOrder = model.fields
      .map((_, f) => f)
      .filter((f) => this.guarding[f] === 0)
      .sort((x, y) => spread(y) - spread(x) || x - y);
  }

  /** Whether the model has term-frequency tables (MatchModel.termFrequencies). */
  private readonly weighsFrequency: boolean;
  /** Per field, the records' dictionary that tfAdjustments[f] was computed for (a scorer may meet other records). */
  private readonly tfDictionaries: Array<readonly string[] | null>;
  /** Per field, the exact-agreement adjustment of each code computed so far (codes only grow). */
  private readonly tfAdjustments: Float64Array[];
  private readonly tfComputed: Int32Array;

  /** Per field, 1 when scoreAtLeast compares it before bounding (see the constructor). */
  private readonly guarding: Uint8Array;
  /** Per field, the largest weight of a level other than exact (what a comparison not yet made can add at most). */
  private readonly bestInexact: Float64Array;
  /** The fields scoreAtLeast compares last, largest possible fall of the bound first. */
  private readonly pendingOrder: number[];

  score(records: CodedRecords, i: number, j: number, sharedIdentifier: boolean, identifies?: FieldIdentifies): number {
    this.levelsOf(records, i, j);
    return this.total(records, i, sharedIdentifier, identifies);
  }

  /**
   * `score` with the shared identifier asked only when it can matter: when no exact email or phone that
   * still identifies has made the pair deterministic already (`shares(i, j)` reads both records' identifiers).
   */
  scoreAsking(records: CodedRecords, i: number, j: number, shares: (i: number, j: number) => boolean, identifies?: FieldIdentifies): number {
    this.levelsOf(records, i, j);
    return this.total(records, i, false, identifies, j, shares);
  }

  /**
   * `scoreAsking` for a caller that needs the score only when it is at least `floor`: returns the same
   * score then, and otherwise some number below `floor` (not the score). Stops comparing a pair's fields
   * once the comparisons left cannot lift it to `floor`: a pair that no identifier can link (its person
   * attributes rule that out, see deterministicMayLink) scores its Fellegi-Sunter total, which the
   * fields' largest weights bound from above. Most candidate pairs are no match and fall below the
   * review threshold a few fields in.
   */
  scoreAtLeast(records: CodedRecords, i: number, j: number, floor: number, shares: (i: number, j: number) => boolean, identifies?: FieldIdentifies): number {
    const cm = this.cm;
    const lv = this.levels;
    const F = this.F;
    const { codes, rows } = records;
    const ri = i * F;
    const rj = j * F;
    // The fields that decide whether an identifier could link the pair are compared first, the others
    // only read (missing, exact, or PENDING a comparison).
    for (let f = 0; f < F; f++) {
      const a = rows !== undefined ? rows[ri + f] : codes[f][i];
      const b = rows !== undefined ? rows[rj + f] : codes[f][j];
      if (a < 0 || b < 0) lv[f] = -1;
      else if (a === b) lv[f] = 0;
      else lv[f] = this.guarding[f] === 1 ? fieldLevel(cm, records, f, a, b, this.caches[f]) : PENDING;
    }
    swapNames(cm, records, i, j, lv);
    const fi = cm.familyIndex;
    let intrinsic = 0;
    let conflicts = 0;
    let nameConflict = false;
    for (let f = 0; f < F; f++) {
      const l = lv[f];
      if (!cm.intrinsic[f] || l < 0) continue;
      intrinsic += this.weightOf(records, i, f, l, identifies);
      if (l === cm.lastLevel[f]) {
        conflicts++;
        if (cm.nameField[f]) nameConflict = true;
      }
    }
    const familyConflict = fi >= 0 && lv[fi] === cm.lastLevel[fi];
    if (deterministicMayLink(cm, intrinsic, conflicts, nameConflict, familyConflict)) {
      // An identifier may link it: score it in full.
      for (let f = 0; f < F; f++) if (lv[f] === PENDING) lv[f] = this.pendingLevel(records, i, j, f);
      return this.total(records, i, false, identifies, j, shares);
    }
    // No identifier links it, so its score is at most its total (the guardrails only lower it). The
    // bound: the total with every pending field at its best level short of exact.
    let bound = cm.priorScore;
    for (let f = 0; f < F; f++) {
      const l = lv[f];
      if (l === PENDING) bound += this.bestInexact[f];
      else if (l >= 0) bound += cm.weights[f][l];
      if (l === 0 && this.weighsFrequency) bound += this.exactAdjustment(records, f, rows !== undefined ? rows[ri + f] : codes[f][i]);
    }
    // A margin for rounding (scores are rounded to 1/1000) and the order of additions.
    const below = floor - 0.002;
    if (bound < below) return bound;
    for (const f of this.pendingOrder) {
      if (lv[f] !== PENDING) continue;
      const l = this.pendingLevel(records, i, j, f);
      lv[f] = l;
      bound += cm.weights[f][l] - this.bestInexact[f];
      if (bound < below) return bound;
    }
    return this.total(records, i, false, identifies, j, shares);
  }

  /** The level of a field whose two codes differ (read from the records again: the row is in cache). */
  private pendingLevel(records: CodedRecords, i: number, j: number, f: number): number {
    const { codes, rows } = records;
    const F = this.F;
    const a = rows !== undefined ? rows[i * F + f] : codes[f][i];
    const b = rows !== undefined ? rows[j * F + f] : codes[f][j];
    return fieldLevel(this.cm, records, f, a, b, this.caches[f]);
  }

  /**
   * The term-frequency adjustment of an exact agreement on value `code` of field f (0 for a field
   * without a table), from the model's tables, computed once per code.
   */
  private exactAdjustment(records: CodedRecords, f: number, code: number): number {
    if (this.cm.termFrequencies[f] === null) return 0;
    const dictionary = records.dictionaries[f];
    if (dictionary !== this.tfDictionaries[f]) {
      this.tfDictionaries[f] = dictionary;
      this.tfComputed[f] = 0;
    }
    if (code >= this.tfComputed[f]) {
      let adjustments = this.tfAdjustments[f];
      if (dictionary.length > adjustments.length) {
        const grown = new Float64Array(Math.max(dictionary.length, adjustments.length * 2, 64));
        grown.set(adjustments.subarray(0, this.tfComputed[f]));
        adjustments = this.tfAdjustments[f] = grown;
      }
      for (let c = this.tfComputed[f]; c < dictionary.length; c++) adjustments[c] = this.cm.modelTfAdjustment(f, dictionary[c]);
      this.tfComputed[f] = dictionary.length;
    }
    return this.tfAdjustments[f][code];
  }

  /** A field's weight as `total` counts it (an exact identifier that no longer identifies may weigh nothing). */
  private weightOf(records: CodedRecords, i: number, f: number, l: number, identifies?: FieldIdentifies): number {
    const cm = this.cm;
    if (l !== 0 || !cm.deterministic[f]) return cm.weights[f][l];
    const ok = identifies ? identifies(f, records.rows !== undefined ? records.rows[i * this.F + f] : records.codes[f][i]) : this.model.guardrails.maxPeoplePerIdentifier >= 1;
    return !ok && this.model.guardrails.crowdedIdentifiersWeighNothing === true ? 0 : cm.weights[f][l];
  }

  /**
   * The rule and per-field evidence `compare(a, b, model)` gives the pair (record i as a): the same
   * objects, from the same levels. `sharedIdentifier`: the type of the first of a's identifiers (in
   * their sorted order) that b carries too, or null.
   */
  explain(records: CodedRecords, i: number, j: number, sharedIdentifier: string | null, identifies?: FieldIdentifies): { score: number; rule: string; evidence: FieldEvidence[] } {
    this.levelsOf(records, i, j);
    const score = this.total(records, i, sharedIdentifier !== null, identifies);
    const outcome = lastGuardrailOutcome();
    const fields = this.model.fields;
    const evidence: FieldEvidence[] = [];
    let best = -1;
    let bestWeight = 0;
    for (let f = 0; f < this.F; f++) {
      const l = this.levels[f];
      const fm = fields[f];
      if (l < 0) {
        evidence.push({ field: fm.name, kind: fm.kind, level: 'missing', weight: 0, tfAdjustment: 0 });
        continue;
      }
      const ok = l !== 0 || !this.cm.deterministic[f] || (identifies?.(f, records.codes[f][i]) ?? this.model.guardrails.maxPeoplePerIdentifier >= 1);
      const crowded = !ok && this.model.guardrails.crowdedIdentifiersWeighNothing === true;
      const tf = l === 0 && !crowded ? this.exactAdjustment(records, f, records.codes[f][i]) : 0;
      const w = crowded ? 0 : this.cm.weights[f][l] + tf;
      evidence.push({ field: fm.name, kind: fm.kind, level: fm.levels[l], weight: Math.round(w * 1000) / 1000, tfAdjustment: Math.round(tf * 1000) / 1000 });
      if (l === 0 && this.cm.deterministic[f] && ok && (best < 0 || w > bestWeight)) {
        best = f;
        bestWeight = w;
      }
    }
    let rule = 'fellegi-sunter';
    if (outcome === 'deterministic') rule = sharedIdentifier !== null ? `deterministic:${sharedIdentifier}` : `deterministic:${fields[best].name}`;
    else if (outcome === 'vetoed') rule = HOUSEHOLD_RULE;
    return { score, rule, evidence };
  }

  /** Fills this.levels for the pair. */
  private levelsOf(records: CodedRecords, i: number, j: number): void {
    codedLevels(this.cm, records, i, j, this.caches, this.levels);
  }

  private total(records: CodedRecords, i: number, sharedIdentifier: boolean, identifies?: FieldIdentifies, j = -1, shares?: (i: number, j: number) => boolean): number {
    const cm = this.cm;
    const lv = this.levels;
    const F = this.F;
    const fi = cm.familyIndex;
    let total = cm.priorScore;
    let intrinsic = 0;
    let conflicts = 0;
    let nameConflict = false;
    let deterministic = sharedIdentifier;
    // Without `identifies`, every value counts as carried by one person, within maxPeoplePerIdentifier.
    const identifiersLink = this.model.guardrails.maxPeoplePerIdentifier >= 1;
    const weighNothing = this.model.guardrails.crowdedIdentifiersWeighNothing === true;
    const rows = records.rows;
    for (let f = 0; f < F; f++) {
      const l = lv[f];
      if (l < 0) continue;
      const base = cm.weights[f][l];
      let w = base;
      if (l === 0) {
        // The record's row is in the processor's cache already (codedLevels read it); its field's column is not.
        const code = rows !== undefined ? rows[i * F + f] : records.codes[f][i];
        if (this.weighsFrequency) w += this.exactAdjustment(records, f, code);
        if (cm.deterministic[f]) {
          const ok = identifies ? identifies(f, code) : identifiersLink;
          if (ok) deterministic = true;
          else if (weighNothing) w = 0;
        }
      }
      total += w;
      // The guardrails weigh the person attributes without their frequencies, as compare does.
      if (cm.intrinsic[f]) {
        intrinsic += base;
        if (l === cm.lastLevel[f]) {
          conflicts++;
          if (cm.nameField[f]) nameConflict = true;
        }
      }
    }
    const familyConflict = fi >= 0 && lv[fi] === cm.lastLevel[fi];
    // Reading both records' identifiers is a few trips to memory at a million records: only when a shared one could link.
    if (!deterministic && shares !== undefined && deterministicMayLink(cm, intrinsic, conflicts, nameConflict, familyConflict)) deterministic = shares(i, j);
    const score = applyGuardrails(cm, total, intrinsic, conflicts, nameConflict, deterministic, familyConflict);
    return Math.round(score * 1000) / 1000;
  }
}

/**
 * Comparison levels of two coded records into `out` (-1 missing, 0 exact, then the comparators' levels),
 * with given and family names written into each other's fields taking their "swapped" level as in
 * compare's applyNameSwap. `caches` (per field, or null) remember levels of value pairs met before.
 * Shared by the streaming and the batch scorers.
 */
export function codedLevels(cm: CompiledModel, records: CodedRecords, i: number, j: number, caches: ReadonlyArray<LevelCache | null>, out: Int8Array): void {
  const { codes, rows } = records;
  const F = out.length;
  const ri = i * F;
  const rj = j * F;
  for (let f = 0; f < F; f++) {
    const a = rows !== undefined ? rows[ri + f] : codes[f][i];
    const b = rows !== undefined ? rows[rj + f] : codes[f][j];
    if (a < 0 || b < 0) out[f] = -1;
    else if (a === b) out[f] = 0;
    else out[f] = fieldLevel(cm, records, f, a, b, caches[f]);
  }
  swapNames(cm, records, i, j, out);
}

/** Marks a field whose level scoreAtLeast has not computed yet (levels are -1 and up). */
const PENDING = -3;

/** The level of two different codes of field f, through its cache when it has one. */
function fieldLevel(cm: CompiledModel, records: CodedRecords, f: number, a: number, b: number, cache: LevelCache | null): number {
  const dictionary = records.dictionaries[f];
  if (cache === null) return cm.comparators[f].level(dictionary[a], dictionary[b]);
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  let l = cache.get(lo, hi);
  if (l === -2) {
    l = cm.comparators[f].level(dictionary[a], dictionary[b]);
    cache.set(lo, hi, l);
  }
  return l;
}

/**
 * Given and family names written into each other's fields take their "swapped" level, as in compare's
 * applyNameSwap (reads only the two names' levels in `out`).
 */
function swapNames(cm: CompiledModel, records: CodedRecords, i: number, j: number, out: Int8Array): void {
  const { codes, dictionaries, rows } = records;
  const F = out.length;
  const gi = cm.givenIndex;
  const fi = cm.familyIndex;
  if (gi < 0 || fi < 0) return;
  const gl = out[gi];
  const fl = out[fi];
  // Only when both straight comparisons are weak (fuzzy-low, initial or different).
  if (gl < 0 || fl < 0 || gl <= (cm.comparators[gi].swappedLevel as number) + 1 || fl <= (cm.comparators[fi].swappedLevel as number) + 1) return;
  const gd = dictionaries[gi];
  const fd = dictionaries[fi];
  const code = (f: number, slot: number) => (rows !== undefined ? rows[slot * F + f] : codes[f][slot]);
  if (close(gd[code(gi, i)], fd[code(fi, j)]) && close(fd[code(fi, i)], gd[code(gi, j)])) {
    out[gi] = cm.comparators[gi].swappedLevel as number;
    out[fi] = cm.comparators[fi].swappedLevel as number;
  }
}

function close(a: string, b: string): boolean {
  return a === b || jaroWinkler(a, b, 0.92) >= 0.92;
}
