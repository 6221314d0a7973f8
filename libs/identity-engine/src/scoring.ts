import type { Decision, FieldEvidence, MatchResult, NormalizedRecord } from './types';
import { comparatorFor, type Comparator } from './compare/comparators';
import { jaroWinkler } from './compare/string-metrics';
import { levelWeights, probabilityToScore, scoreToProbability, takesTermFrequencyTable, type MatchModel } from './model/match-model';

/** What the caller knows about the population (the batch pipeline computes it; a service reads it from its index). */
export interface ScoringContext {
  /** Share (0..1] of records carrying this normalized value in field `fieldIndex`. */
  termFrequency?(fieldIndex: number, value: string): number | undefined;
  /** Number of distinct people carrying this identifier value (field `fieldIndex`). */
  peopleSharing?(fieldIndex: number, value: string): number | undefined;
  /** Number of distinct people carrying this identifier (type and value) among the records' identifiers. */
  identifierPeople?(type: string, value: string): number | undefined;
}

/**
 * Kinds that describe the person. Contact and address fields are shared within a household (a family
 * email, a landline, the flat), so agreement on them must not outweigh a clear disagreement on these.
 */
export const INTRINSIC_KINDS: ReadonlySet<string> = new Set(['givenName', 'fullName', 'birthDate', 'gender', 'externalId']);

/**
 * The guardrails on person attributes, shared by single-pair and batch scoring. `intrinsic` is the summed
 * weight of the person fields, `intrinsicConflicts` how many of them disagree outright, `nameConflict`
 * whether the given (or full) name is one of them. Returns the final score.
 */
export function applyGuardrails(cm: CompiledModel, total: number, intrinsic: number, intrinsicConflicts: number, nameConflict: boolean, deterministic: boolean, familyConflict = false): number {
  // Another given name plus another birth date (or id, or gender), with no person attribute agreeing
  // strongly enough to outweigh them: the signature of a household member, not of a typo.
  const differentPerson = nameConflict && intrinsicConflicts >= 2 && intrinsic < 0;
  if (deterministic && deterministicMayLink(cm, intrinsic, intrinsicConflicts, nameConflict, familyConflict)) {
    guardrailOutcome = 'deterministic';
    return total > cm.deterministicScore ? total : cm.deterministicScore;
  }
  // Whatever the contact and address fields say, records that disagree outright on two person
  // attributes (another given name and another birth date: a household member) never link. The pair
  // keeps a score in the review band, so that it is recorded (HOUSEHOLD_RULE), never dropped.
  if (differentPerson && total >= cm.linkScore) {
    guardrailOutcome = 'vetoed';
    vetoedSupport = cm.priorScore + intrinsic;
    return (cm.linkScore + cm.reviewScore) / 2;
  }
  guardrailOutcome = 'none';
  return total;
}

/**
 * Whether a deterministic identifier would link the pair (applyGuardrails): unless the person attributes
 * disagree outright. Two name/date attributes that disagree outright (counting the surname here: another
 * surname and another birth date) also stop it: look-alike mailboxes such as jamesm@... shared by a
 * James Moore and a James Murray become common as a file grows, and then the shared value says nothing
 * about the person. The pair is then scored like any other. When false, whether the pair shares an
 * identifier does not change its score (a scorer need not look).
 */
export function deterministicMayLink(cm: CompiledModel, intrinsic: number, intrinsicConflicts: number, nameConflict: boolean, familyConflict = false): boolean {
  const differentPerson = nameConflict && intrinsicConflicts >= 2 && intrinsic < 0;
  return !differentPerson && intrinsicConflicts + (familyConflict ? 1 : 0) < 2 && intrinsic >= cm.model.guardrails.deterministicVetoScore;
}

/**
 * The rule of a pair the person-attribute guardrail held apart: two records that share contact or
 * address details (a family email, a landline, the flat) but not a given name and a birth date. Such a
 * pair is recorded as a household, not queued for a steward: the guardrail is sure they are two people.
 */
export const HOUSEHOLD_RULE = 'guardrail:person-attributes-disagree';

/** What the last applyGuardrails call did (read right after the call; avoids allocating per pair). */
let guardrailOutcome: 'none' | 'deterministic' | 'vetoed' = 'none';
/** The support for a merge of the last vetoed pair (see mergeSupport). */
let vetoedSupport = 0;

/**
 * What the pair last scored says for or against putting its two records in one cluster (the clustering's
 * merge check, ClusterOptions.pairScore): its score, except for a pair the person-attribute guardrail
 * vetoed. That pair's score is the middle of the review band, so that it is recorded, but as support
 * for a merge it would count the household's shared email, phone and address as evidence of one person,
 * and a chain (a record with no given name linked to both) would then join two people the guardrail
 * holds apart. It counts instead as what its person attributes say, from the prior: another given name
 * and another birth date, about -14 bits under the default model. Read right after the score, as
 * lastGuardrailOutcome.
 */
export function mergeSupport(score: number): number {
  return guardrailOutcome === 'vetoed' ? vetoedSupport : score;
}

/** What the last applyGuardrails call decided (for callers that name the rule, as compare does). */
export function lastGuardrailOutcome(): 'none' | 'deterministic' | 'vetoed' {
  return guardrailOutcome;
}

/** Precomputed per-model state shared by single-pair and batch scoring. */
export class CompiledModel {
  readonly comparators: Comparator[];
  readonly weights: Float64Array[];
  readonly priorScore: number;
  readonly linkScore: number;
  readonly reviewScore: number;
  /** Score given to a pair linked by a deterministic rule: well above the link threshold, so clustering treats it as certain. */
  readonly deterministicScore: number;
  readonly givenIndex: number;
  readonly familyIndex: number;
  readonly deterministic: Uint8Array;
  /** 1 for fields that describe the person rather than where or how to reach them (names, birth date, gender). */
  readonly intrinsic: Uint8Array;
  /** 1 for given-name and full-name fields. */
  readonly nameField: Uint8Array;
  /** Per field, the index of its "different" level. */
  readonly lastLevel: Int8Array;

  constructor(readonly model: MatchModel) {
    this.comparators = model.fields.map((f) => comparatorFor(f.kind));
    this.weights = levelWeights(model);
    this.priorScore = probabilityToScore(model.prior);
    this.linkScore = probabilityToScore(model.thresholds.link);
    this.reviewScore = probabilityToScore(model.thresholds.review);
    this.deterministicScore = this.linkScore + 10;
    this.givenIndex = model.fields.findIndex((f) => f.kind === 'givenName');
    this.familyIndex = model.fields.findIndex((f) => f.kind === 'familyName');
    this.deterministic = new Uint8Array(model.fields.map((f) => (model.guardrails.deterministicKinds.includes(f.kind) ? 1 : 0)));
    this.nameField = new Uint8Array(model.fields.map((f) => (f.kind === 'givenName' || f.kind === 'fullName' ? 1 : 0)));
    this.lastLevel = new Int8Array(model.fields.map((f) => f.levels.length - 1));
    this.intrinsic = new Uint8Array(model.fields.map((f) => (INTRINSIC_KINDS.has(f.kind) ? 1 : 0)));
    this.termFrequencies = model.fields.map((f) => {
      const table = takesTermFrequencyTable(f, model) ? model.termFrequencies?.[f.name] : undefined;
      return table ? { values: new Map(Object.entries(table.values)), floor: table.floor } : null;
    });
  }

  /** Per field, the model's term-frequency table (MatchModel.termFrequencies), or null. */
  readonly termFrequencies: ReadonlyArray<{ values: ReadonlyMap<string, number>; floor: number } | null>;

  decisionFor(score: number): Decision {
    return score >= this.linkScore ? 'link' : score >= this.reviewScore ? 'review' : 'no-link';
  }

  /** The share of `value` in field `fieldIndex` by the model's own table (its floor when not listed), or undefined without one. */
  modelTermFrequency(fieldIndex: number, value: string): number | undefined {
    const table = this.termFrequencies[fieldIndex];
    return table === null ? undefined : (table.values.get(value) ?? table.floor);
  }

  /**
   * Term-frequency adjustment in bits for an exact match on `value` in field `fieldIndex` by the model's
   * own table (MatchModel.termFrequencies), or 0 when the field has none.
   */
  modelTfAdjustment(fieldIndex: number, value: string): number {
    return this.tfAdjustment(fieldIndex, this.modelTermFrequency(fieldIndex, value));
  }

  /** Term-frequency adjustment in bits for an exact match on a value with relative frequency `tf`. */
  tfAdjustment(fieldIndex: number, tf: number | undefined): number {
    const f = this.model.fields[fieldIndex];
    if (!f.termFrequency || tf === undefined || !(tf > 0)) return 0;
    const clamp = this.model.guardrails.tfClamp;
    const adj = Math.log2(f.uExactRandom / tf);
    return adj > clamp ? clamp : adj < -clamp ? -clamp : adj;
  }
}

/**
 * A ScoringContext whose term frequencies are the model's own tables (MatchModel.termFrequencies): what
 * the streaming resolver weighs exact agreements by, for `compare` to give the same scores.
 */
export function modelTermFrequencyContext(model: MatchModel): Pick<ScoringContext, 'termFrequency'> {
  const cm = compileModel(model);
  return { termFrequency: (f, value) => cm.modelTermFrequency(f, value) };
}

const compiledCache = new WeakMap<MatchModel, CompiledModel>();

/** The compiled form of a model (cached per model object; do not mutate a model after scoring with it). */
export function compileModel(model: MatchModel): CompiledModel {
  let c = compiledCache.get(model);
  if (!c) {
    c = new CompiledModel(model);
    compiledCache.set(model, c);
  }
  return c;
}

/** Comparison level of two normalized values: -1 missing, 0 exact, then the comparator's graded levels. */
export function fieldLevel(comparator: Comparator, a: string | null, b: string | null): number {
  if (a === null || b === null) return -1;
  if (a === b) return 0;
  return comparator.level(a, b);
}

function closeName(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && (a === b || jaroWinkler(a, b, 0.92) >= 0.92);
}

/**
 * Given and family names written into each other's fields: when neither compares well straight but
 * both compare well crossed, both fields take their "swapped" level.
 */
export function applyNameSwap(
  cm: CompiledModel,
  levels: Int8Array | number[],
  givenA: string | null,
  familyA: string | null,
  givenB: string | null,
  familyB: string | null,
): void {
  const gi = cm.givenIndex;
  const fi = cm.familyIndex;
  if (gi < 0 || fi < 0) return;
  const gl = levels[gi];
  const fl = levels[fi];
  if (gl < 0 || fl < 0) return;
  const gSwap = cm.comparators[gi].swappedLevel as number;
  const fSwap = cm.comparators[fi].swappedLevel as number;
  // Only when both straight comparisons are weak (fuzzy-low, initial or different).
  if (gl > gSwap + 1 && fl > fSwap + 1 && closeName(givenA, familyB) && closeName(familyA, givenB)) {
    levels[gi] = gSwap;
    levels[fi] = fSwap;
  }
}

/**
 * Scores one pair of normalized records with a model: per-field levels and weights, Fellegi-Sunter total,
 * deterministic identifier rules and unique-identifier vetoes, and the link/review/no-link decision.
 */
export function compare(a: NormalizedRecord, b: NormalizedRecord, model: MatchModel, context: ScoringContext = {}): MatchResult {
  const cm = compileModel(model);
  const n = model.fields.length;
  const levels = new Int8Array(n);
  for (let f = 0; f < n; f++) levels[f] = fieldLevel(cm.comparators[f], a.values[f] ?? null, b.values[f] ?? null);
  const gi = cm.givenIndex;
  const fi = cm.familyIndex;
  if (gi >= 0 && fi >= 0) applyNameSwap(cm, levels, a.values[gi], a.values[fi], b.values[gi], b.values[fi]);

  const evidence: FieldEvidence[] = [];
  let total = cm.priorScore;
  let deterministicField = -1;
  const detWeight: number[] = [];
  for (let f = 0; f < n; f++) {
    const fm = model.fields[f];
    const l = levels[f];
    if (l < 0) {
      evidence.push({ field: fm.name, kind: fm.kind, level: 'missing', weight: 0, tfAdjustment: 0 });
      continue;
    }
    let tfAdj = 0;
    if (l === 0) tfAdj = cm.tfAdjustment(f, context.termFrequency?.(f, a.values[f] as string));
    const people = l === 0 && cm.deterministic[f] ? (context.peopleSharing?.(f, a.values[f] as string) ?? 1) : 1;
    const crowded = people > model.guardrails.maxPeoplePerIdentifier;
    const w = crowded && model.guardrails.crowdedIdentifiersWeighNothing ? 0 : cm.weights[f][l] + tfAdj;
    if (crowded && model.guardrails.crowdedIdentifiersWeighNothing) tfAdj = 0;
    total += w;
    evidence.push({ field: fm.name, kind: fm.kind, level: fm.levels[l], weight: round(w), tfAdjustment: round(tfAdj) });
    if (l === 0 && cm.deterministic[f]) {
      if (!crowded && (deterministicField < 0 || w > detWeight[0])) {
        deterministicField = f;
        detWeight[0] = w;
      }
    }
  }

  // Identifiers carried outside the attributes (source ids, loyalty numbers).
  let sharedIdentifier: string | null = null;
  let conflict: string | null = null;
  for (const ia of a.identifiers) {
    for (const ib of b.identifiers) {
      if (ia.type !== ib.type) continue;
      // An identifier shared by more people than the guardrail allows identifies nobody.
      if (ia.value === ib.value && (context.identifierPeople?.(ia.type, ia.value) ?? 1) <= model.guardrails.maxPeoplePerIdentifier) sharedIdentifier ??= ia.type;
    }
  }
  for (const ia of a.identifiers) {
    if (!ia.unique) continue;
    const same = b.identifiers.filter((ib) => ib.type === ia.type);
    if (same.length && !same.some((ib) => ib.value === ia.value) && !a.identifiers.some((x) => x.type === ia.type && same.some((y) => y.value === x.value))) {
      conflict = ia.type;
      break;
    }
  }

  let intrinsic = 0;
  let conflicts = 0;
  let nameConflict = false;
  for (let f = 0; f < n; f++) {
    if (!cm.intrinsic[f] || levels[f] < 0) continue;
    intrinsic += cm.weights[f][levels[f]];
    if (levels[f] === cm.lastLevel[f]) {
      conflicts++;
      if (cm.nameField[f]) nameConflict = true;
    }
  }
  let rule = 'fellegi-sunter';
  const familyConflict = fi >= 0 && levels[fi] === cm.lastLevel[fi];
  let score = applyGuardrails(cm, total, intrinsic, conflicts, nameConflict, deterministicField >= 0 || sharedIdentifier !== null, familyConflict);
  if (conflict !== null) {
    rule = `veto:${conflict}`;
    score = Math.min(total, cm.reviewScore - 1);
  } else if (guardrailOutcome === 'deterministic') {
    rule = sharedIdentifier !== null ? `deterministic:${sharedIdentifier}` : `deterministic:${model.fields[deterministicField].name}`;
  } else if (guardrailOutcome === 'vetoed') {
    rule = HOUSEHOLD_RULE;
  }
  return { score: round(score), probability: scoreToProbability(score), rule, decision: cm.decisionFor(score), evidence };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
