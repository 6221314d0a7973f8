import { createHash } from 'node:crypto';
import type { FieldKind, FieldSpec } from '../types';
import { comparatorFor } from '../compare/comparators';
import { defaultBlockingRules, type BlockingRule } from './blocking';
import type { NormalizationOptions } from '../normalize/record';

export interface FieldModel {
  name: string;
  kind: FieldKind;
  levels: string[];
  /** P(level | same person). */
  m: number[];
  /** P(level | different people), among candidate pairs. */
  u: number[];
  /** Whether exact matches are weighted by value frequency. */
  termFrequency: boolean;
  /** Probability that two random records agree exactly on this field (Σ tf²): the baseline of the TF adjustment. */
  uExactRandom: number;
}

/**
 * Everything needed to score a pair, as plain JSON so a service can store it and load it again.
 * Weights are derived (log2 m/u); nothing in here refers to a dataset's truth.
 */
export interface MatchModel {
  version: 1;
  fields: FieldModel[];
  /** P(same person) for a candidate pair before looking at the fields. */
  prior: number;
  thresholds: {
    /** Link when P(match) ≥ link. */
    link: number;
    /** Review queue when review ≤ P(match) < link; below review, no link. */
    review: number;
  };
  blocking: {
    rules: BlockingRule[];
    /**
     * Blocks up to this size compare all their pairs; larger blocks are sorted and each record meets only
     * its `window` nearest neighbours on either side, so a common value costs pairs linear in its count.
     */
    maxBlockSize: number;
    window: number;
    /** Blocks larger than this generate no pairs at all (a value shared by this many records identifies nobody). */
    maxWindowedBlockSize: number;
    /** Optional (weak) rules are dropped when the candidate pairs would exceed this many per record. */
    pairBudgetPerRecord: number;
    /** Per blocking rule, pairs per record above which the rule's block size and window caps are lowered (absent: no per-rule cap). */
    rulePairsPerRecord?: number;
  };
  guardrails: {
    /** An identifier value carried by more than this many distinct people stops linking deterministically. */
    maxPeoplePerIdentifier: number;
    /**
     * Such a value's exact agreement also weighs nothing (a look-alike mailbox such as marysmith@… says
     * nothing about which Mary Smith wrote it). Off unless set: batch models lower its weight by term
     * frequency instead; the streaming resolver, which knows the people behind each value but no
     * population-wide frequencies, turns it on.
     */
    crowdedIdentifiersWeighNothing?: boolean;
    /** Kinds whose exact agreement links deterministically (subject to the guardrails). */
    deterministicKinds: FieldKind[];
    /** A deterministic link is overruled when the person attributes (names, birth date, gender) together score below this (log2). */
    deterministicVetoScore: number;
    /** Clusters never grow beyond this many records. */
    maxClusterSize: number;
    /** Bound on the term-frequency adjustment, in bits. */
    tfClamp: number;
  };
  normalization: NormalizationOptions;
  /**
   * Per field name, how often each value occurred in the records the model was trained on (`trainModel`
   * fills it for the fields weighted by term frequency that are not deterministic identifiers). The
   * streaming resolver weighs an exact agreement by these fixed shares, so a pair scores the same
   * whenever its records arrive; without them it weighs every exact agreement alike.
   */
  termFrequencies?: Record<string, TermFrequencyTable>;
  training: {
    candidatePairs: number;
    emPairs: number;
    emIterations: number;
    randomPairs: number;
    trained: boolean;
  };
}

/**
 * Whether a field can have a term-frequency table (MatchModel.termFrequencies): one weighted by term
 * frequency that is not a deterministic identifier (the people carrying an email or phone weigh its
 * crowded values instead). Training writes tables for these fields only and the scorer reads them for
 * these only.
 */
export function takesTermFrequencyTable(field: FieldModel, model: Pick<MatchModel, 'guardrails'>): boolean {
  return field.termFrequency && !model.guardrails.deterministicKinds.includes(field.kind);
}

/** A field's values and their share of the records that have one (see MatchModel.termFrequencies). */
export interface TermFrequencyTable {
  /** Share (0..1] of the records with a value in the field that carry this one, for values seen at least twice. */
  values: Record<string, number>;
  /** The share taken for a value not in `values`: that of the least frequent value in it (see termFrequencyTables). */
  floor: number;
}

export interface ModelOptions {
  normalization?: NormalizationOptions;
  linkThreshold?: number;
  reviewThreshold?: number;
  maxBlockSize?: number;
  maxPeoplePerIdentifier?: number;
  blockingRules?: BlockingRule[];
}

/** An untrained model with the per-kind priors: usable as is, and the starting point for training. */
export function defaultModel(schema: readonly FieldSpec[], options: ModelOptions = {}): MatchModel {
  return {
    version: 1,
    fields: schema.map((f) => {
      const c = comparatorFor(f.kind);
      return {
        name: f.name,
        kind: f.kind,
        levels: [...c.levels],
        m: [...c.priorM],
        u: [...c.priorU],
        termFrequency: c.termFrequency,
        uExactRandom: c.priorU[0],
      };
    }),
    prior: 0.05,
    thresholds: { link: options.linkThreshold ?? 0.9, review: options.reviewThreshold ?? 0.3 },
    blocking: { rules: options.blockingRules ?? defaultBlockingRules(schema), maxBlockSize: options.maxBlockSize ?? 16, window: 4, maxWindowedBlockSize: 50_000, pairBudgetPerRecord: 8, rulePairsPerRecord: 1.5 },
    guardrails: {
      maxPeoplePerIdentifier: options.maxPeoplePerIdentifier ?? 3,
      deterministicKinds: ['email', 'phone'],
      deterministicVetoScore: -4,
      maxClusterSize: 200,
      tfClamp: 8,
    },
    normalization: options.normalization ?? {},
    training: { candidatePairs: 0, emPairs: 0, emIterations: 0, randomPairs: 0, trained: false },
  };
}

/**
 * A short name for everything a model decides with (weights, thresholds, blocking, guardrails,
 * normalization): the same for the same model however its file orders its keys. Instances that must
 * make the same clusters must show the same fingerprint.
 */
export function modelFingerprint(model: MatchModel): string {
  return createHash('sha256').update(canonicalJson(model)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const FLOOR = 1e-6;

/**
 * Per field, per level: log2(m/u), except that an exact agreement never counts against a match and a
 * disagreement (the last level) never counts for one. Training can produce either when a field is
 * nearly constant in the data: every random pair agrees on the country, u for a disagreement comes
 * out as 0, and a mistyped country would otherwise weigh +9 bits towards a match.
 */
export function levelWeights(model: MatchModel): Float64Array[] {
  return model.fields.map((f) => {
    const w = new Float64Array(f.levels.length);
    for (let l = 0; l < w.length; l++) w[l] = Math.log2(Math.max(f.m[l], FLOOR) / Math.max(f.u[l], FLOOR));
    const last = w.length - 1;
    if (last > 0) {
      if (w[0] < 0) w[0] = 0;
      if (w[last] > 0) w[last] = 0;
    }
    return w;
  });
}

export function probabilityToScore(p: number): number {
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  return Math.log2(q / (1 - q));
}

export function scoreToProbability(score: number): number {
  return 1 / (1 + Math.pow(2, -score));
}

/** Checks a parsed JSON model enough to fail early with a clear message. */
export function assertMatchModel(value: unknown): asserts value is MatchModel {
  const m = value as MatchModel;
  if (!m || m.version !== 1 || !Array.isArray(m.fields) || typeof m.prior !== 'number' || !m.thresholds || !m.blocking || !m.guardrails) {
    throw new Error('not a MatchModel (version 1)');
  }
  for (const f of m.fields) {
    if (!Array.isArray(f.m) || !Array.isArray(f.u) || f.m.length !== f.levels.length || f.u.length !== f.levels.length) {
      throw new Error(`MatchModel field ${String(f.name)}: m/u do not match its levels`);
    }
  }
  if (m.termFrequencies === undefined) return;
  if (m.termFrequencies === null || typeof m.termFrequencies !== 'object' || Array.isArray(m.termFrequencies)) throw new Error('MatchModel termFrequencies: must be an object keyed by field name');
  const share = (x: unknown) => typeof x === 'number' && x > 0 && x <= 1;
  for (const [name, table] of Object.entries(m.termFrequencies)) {
    const field = m.fields.find((f) => f.name === name);
    if (!field) throw new Error(`MatchModel termFrequencies: "${name}" is not one of the model's fields`);
    if (!field.termFrequency) throw new Error(`MatchModel termFrequencies: field "${name}" is not weighted by term frequency`);
    if (m.guardrails.deterministicKinds?.includes(field.kind)) throw new Error(`MatchModel termFrequencies: field "${name}" links deterministically; its crowded values are weighed by how many people carry them, not by a table`);
    if (!table || typeof table !== 'object' || !table.values || typeof table.values !== 'object' || !share(table.floor)) {
      throw new Error(`MatchModel termFrequencies.${name}: needs values (value → share) and a floor share in (0, 1]`);
    }
    for (const tf of Object.values(table.values)) {
      if (!share(tf)) throw new Error(`MatchModel termFrequencies.${name}: the share of a value must be in (0, 1] (got ${JSON.stringify(tf)} for one of its values)`);
    }
  }
}
