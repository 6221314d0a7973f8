import type { FieldSpec, InputRecord, MatchResult } from './types';
import { DatasetBuilder, type Dataset } from './dataset';
import { transformKey } from './model/blocking';
import { defaultModel, probabilityToScore, takesTermFrequencyTable, type MatchModel, type ModelOptions, type TermFrequencyTable } from './model/match-model';
import { runEm } from './model/em';
import { CompiledModel, applyGuardrails, compare as comparePair, mergeSupport, type ScoringContext } from './scoring';
import { clusterEdges, type ScoredEdges } from './cluster/cluster';
import { LevelCache, LEVEL_CACHE_BITS, LEVEL_CACHE_MIN_DICTIONARY } from './compare/level-cache';
import { codedLevels } from './coded-scorer';
import { MAX_DISAGREEMENT } from './compare/comparators';
import { normalizeRecord, ValueNormalizer } from './normalize/record';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface ResolveOptions {
  /** Model to start from (default: per-kind priors for the dataset's schema). */
  model?: MatchModel;
  /** Learn u from random pairs and m/prior by EM on this data. Default true. */
  train?: boolean;
  /** Record linkage: only pairs of records from different sources are compared. */
  linkOnly?: boolean;
  modelOptions?: ModelOptions;
  /** Upper bound on candidate pairs sampled for EM. */
  emSamplePairs?: number;
  /** Random pairs sampled to estimate u. */
  randomPairs?: number;
  /** Called between stages; a CLI can draw progress from it. */
  onStage?(stage: string): void;
}

export interface ResolveStats {
  records: number;
  blockingRules: number;
  blocks: number;
  oversizedBlocks: number;
  windowedBlocks: number;
  skippedRules: string[];
  candidatePairs: number;
  linkEdges: number;
  reviewEdges: number;
  refusedLinks: number;
  clusters: number;
  largestCluster: number;
  emIterations: number;
  timingsMs: Record<string, number>;
  /** CPU time per stage (user + system of the whole process, all threads): on a shared machine the honest measure of work. */
  cpuMs: Record<string, number>;
  /** Threads that scored candidate pairs. */
  scoringThreads: number;
  /** Candidate pairs each blocking rule generates before pairs shared by several rules are removed. */
  rulePairs: Record<string, number>;
}

export interface BatchResult {
  /** Per record (dataset order), the index of the record that names its cluster (the smallest index in it). */
  labels: Int32Array;
  /** Pairs scored at or above the review threshold. */
  edges: ScoredEdges;
  /** Indices into `edges` that need a human: between the thresholds across clusters, or links the clustering refused. */
  review: number[];
  model: MatchModel;
  stats: ResolveStats;
}

interface Blocks {
  ruleCount: number;
  /** n × ruleCount block ids, -1 when the record has no usable block for the rule. */
  recordBlocks: Int32Array;
  /** n × ruleCount position of the record inside its block (used by windowed blocks). */
  recordPos: Int32Array;
  start: Int32Array;
  members: Int32Array;
  /** Window size for blocks too large for all pairs (members sorted, compared within a sliding window of this many neighbours each side); 0 = all pairs. */
  windowed: Uint8Array;
  count: number;
  oversized: number;
  windowedCount: number;
  pairEstimate: number;
  /** Blocks of rule r are ruleBlockStart[r] .. ruleBlockStart[r+1]-1. */
  ruleBlockStart: Int32Array;
  /** Pairs each rule generates (before removing pairs that several rules share). */
  rulePairs: Float64Array;
  /** Optional rules left out to stay within the pair budget. */
  skippedRules: string[];
}

/**
 * Open-addressing hash from integer keys (up to 2^53, so composite radix keys that are no small
 * integers) to ids, in typed arrays: a Map with such keys boxes every key and grew slower per record as
 * files grew. Ids are handed out in first-seen order, as a Map would.
 */
class NumericIndex {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected: number) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  /** The id of `key`, or `next` after recording it as the id of a new key. */
  getOrAdd(key: number, next: number): number {
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let slot = h & this.mask;
    for (;;) {
      const v = this.vals[slot];
      if (v < 0) break;
      if (this.keys[slot] === key) return v;
      slot = (slot + 1) & this.mask;
    }
    this.keys[slot] = key;
    this.vals[slot] = next;
    if (++this.count * 2 > this.mask) this.grow();
    return next;
  }

  private grow(): void {
    const keys = this.keys;
    const vals = this.vals;
    this.keys = new Float64Array(keys.length * 2);
    this.vals = new Int32Array(vals.length * 2).fill(-1);
    this.mask = this.keys.length - 1;
    for (let s = 0; s < keys.length; s++) {
      if (vals[s] < 0) continue;
      const key = keys[s];
      const lo = key >>> 0;
      const hi = Math.floor(key / 4294967296) | 0;
      let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
      h ^= h >>> 15;
      let slot = h & this.mask;
      while (this.vals[slot] >= 0) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.vals[slot] = vals[s];
    }
  }
}

/** Rank of every dictionary value in string order: a sort key that does not depend on arrival order. */
function dictionaryRanks(dict: readonly string[]): Int32Array {
  const order = Array.from(dict.keys()).sort((x, y) => (dict[x] < dict[y] ? -1 : dict[x] > dict[y] ? 1 : 0));
  const rank = new Int32Array(dict.length);
  order.forEach((c, r) => (rank[c] = r));
  return rank;
}

function buildBlocks(ds: Dataset, model: MatchModel, linkOnly: boolean): Blocks {
  const n = ds.size;
  const rules = model.blocking.rules;
  const R = rules.length;
  const fieldIndex = new Map(ds.schema.map((f, i) => [f.name, i]));
  const recordBlocks = new Int32Array(n * R).fill(-1);
  let blockCount = 0;
  let oversized = 0;
  let budgetUsed = 0;
  const skippedRules: string[] = [];
  const sizes: number[] = [];
  const blockMax: number[] = [];
  const blockWindow: number[] = [];
  const ruleBlockStart = new Int32Array(R + 1);
  for (let r = 0; r < R; r++) {
    ruleBlockStart[r] = blockCount;
    const sharedIntern = rules[r].unordered ? new Map<string, number>() : null;
    const parts = rules[r].parts.map((p) => {
      const f = fieldIndex.get(p.field);
      if (f === undefined) throw new Error(`blocking rule ${rules[r].name}: unknown field ${p.field}`);
      // Transform each distinct value once.
      const dict = ds.dictionaries[f];
      const derived = new Int32Array(dict.length);
      const intern = sharedIntern ?? new Map<string, number>();
      for (let c = 0; c < dict.length; c++) {
        const k = transformKey(p.transform, dict[c]);
        if (!k) {
          derived[c] = -1;
          continue;
        }
        let d = intern.get(k);
        if (d === undefined) {
          d = intern.size;
          intern.set(k, d);
        }
        derived[c] = d;
      }
      return { codes: ds.codes[f], derived, size: intern.size + 1 };
    });
    // Unordered parts share one interning map; their sizes must be the final shared size.
    if (sharedIntern) for (const p of parts) p.size = sharedIntern.size + 1;
    const partCodes = new Int32Array(parts.length);
    let radixOk = true;
    let product = 1;
    for (const p of parts) {
      product *= p.size;
      if (product > 2 ** 52) radixOk = false;
    }
    const keyIndex = new Map<string, number>();
    const numericIndex = new NumericIndex(n);
    const local = new Int32Array(n).fill(-1);
    const localSizes: number[] = [];
    for (let i = 0; i < n; i++) {
      let key: number | string = 0;
      let mult = 1;
      let ok = true;
      let skey = '';
      for (let q = 0; q < parts.length; q++) {
        const c = parts[q].codes[i];
        const d = c < 0 ? -1 : parts[q].derived[c];
        if (d < 0) {
          ok = false;
          break;
        }
        partCodes[q] = d;
      }
      if (!ok) continue;
      if (sharedIntern) partCodes.sort();
      for (let q = 0; q < parts.length; q++) {
        const p = parts[q];
        const d = partCodes[q];
        if (radixOk) {
          key = (key as number) + d * mult;
          mult *= p.size;
        } else skey += `${d}|`;
      }
      let b: number | undefined;
      if (radixOk) {
        b = numericIndex.getOrAdd(key as number, localSizes.length);
        if (b === localSizes.length) localSizes.push(0);
      } else {
        key = skey;
        b = keyIndex.get(key);
        if (b === undefined) {
          b = localSizes.length;
          keyIndex.set(key, b);
          localSizes.push(0);
        }
      }
      local[i] = b;
      localSizes[b]++;
    }
    // Keep blocks of at least two records (from two sources when linking) and at most maxBlockSize.
    const localSources = linkOnly ? new Int32Array(localSizes.length).fill(-1) : null;
    const multiSource = linkOnly ? new Uint8Array(localSizes.length) : null;
    if (linkOnly && localSources && multiSource) {
      for (let i = 0; i < n; i++) {
        const b = local[i];
        if (b < 0) continue;
        if (localSources[b] < 0) localSources[b] = ds.sources[i];
        else if (localSources[b] !== ds.sources[i]) multiSource[b] = 1;
      }
    }
    const globalId = new Int32Array(localSizes.length).fill(-1);
    // Per-rule caps that scale with the input: a rule whose key is common (a surname sound and a birth
    // year, a street name and a house number) yields more pairs per record the larger the file, since
    // its blocks fill up. When a rule would exceed rulePairsPerRecord × n pairs, its all-pairs block size
    // and then its window are lowered until it fits: each record still meets its nearest neighbours in
    // the sorted block, and other rules cover what one rule misses. Small files are untouched.
    let ruleMax = model.blocking.maxBlockSize;
    let ruleWindow = model.blocking.window;
    const perRule = model.blocking.rulePairsPerRecord;
    if (perRule !== undefined && perRule > 0) {
      const cost = (mx: number, w: number) => {
        let c = 0;
        for (let b = 0; b < localSizes.length; b++) {
          const sz = localSizes[b];
          if (sz < 2 || (multiSource && !multiSource[b]) || sz > model.blocking.maxWindowedBlockSize) continue;
          c += sz > mx ? sz * w : (sz * (sz - 1)) / 2;
        }
        return c;
      };
      while ((ruleMax > 4 || ruleWindow > 1) && cost(ruleMax, ruleWindow) > perRule * n) {
        if (ruleMax > 4) ruleMax = Math.max(4, Math.floor(ruleMax / 2));
        else ruleWindow--;
      }
    }
    if (rules[r].optional) {
      let extra = 0;
      for (let b = 0; b < localSizes.length; b++) {
        const sz = localSizes[b];
        if (sz < 2 || (multiSource && !multiSource[b]) || sz > model.blocking.maxWindowedBlockSize) continue;
        extra += sz > ruleMax ? sz * ruleWindow : (sz * (sz - 1)) / 2;
      }
      if (budgetUsed + extra > model.blocking.pairBudgetPerRecord * n) {
        skippedRules.push(rules[r].name);
        continue;
      }
    }
    for (let b = 0; b < localSizes.length; b++) {
      const s = localSizes[b];
      if (s < 2 || (multiSource && !multiSource[b])) continue;
      if (s > model.blocking.maxWindowedBlockSize) {
        oversized++;
        continue;
      }
      globalId[b] = blockCount++;
      sizes.push(s);
      budgetUsed += s > ruleMax ? s * ruleWindow : (s * (s - 1)) / 2;
      blockMax.push(ruleMax);
      blockWindow.push(ruleWindow);
    }
    for (let i = 0; i < n; i++) {
      const b = local[i];
      if (b >= 0) recordBlocks[i * R + r] = globalId[b];
    }
  }
  ruleBlockStart[R] = blockCount;
  const start = new Int32Array(blockCount + 1);
  const windowed = new Uint8Array(blockCount);
  const rulePairs = new Float64Array(R);
  let pairEstimate = 0;
  let windowedCount = 0;
  for (let b = 0; b < blockCount; b++) {
    const s = sizes[b];
    start[b + 1] = start[b] + s;
    const pairs = s > blockMax[b] ? s * blockWindow[b] : (s * (s - 1)) / 2;
    if (s > blockMax[b]) {
      windowed[b] = blockWindow[b];
      windowedCount++;
    }
    pairEstimate += pairs;
  }
  for (let r = 0; r < R; r++) for (let b = ruleBlockStart[r]; b < ruleBlockStart[r + 1]; b++) rulePairs[r] += windowed[b] ? sizes[b] * windowed[b] : (sizes[b] * (sizes[b] - 1)) / 2;
  const fill = start.slice(0, blockCount);
  const members = new Int32Array(start[blockCount]);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < R; r++) {
      const b = recordBlocks[i * R + r];
      if (b >= 0) members[fill[b]++] = i;
    }
  }
  const recordPos = new Int32Array(n * R).fill(-1);
  if (windowedCount > 0) {
    // Sorted-neighbourhood inside big blocks: order members by name and birth date (string order, so
    // independent of arrival order), then each record meets its W nearest neighbours on either side.
    const kinds = ['givenName', 'fullName', 'familyName', 'birthDate'];
    let keyFields = ds.schema.map((f, i) => (kinds.includes(f.kind) ? i : -1)).filter((i) => i >= 0);
    if (keyFields.length === 0) keyFields = ds.schema.map((_, i) => i).slice(0, 3);
    const ranks = keyFields.map((f) => dictionaryRanks(ds.dictionaries[f]));
    const cmp = (x: number, y: number) => {
      for (let k = 0; k < keyFields.length; k++) {
        const cx = ds.codes[keyFields[k]][x];
        const cy = ds.codes[keyFields[k]][y];
        const d = (cx < 0 ? -1 : ranks[k][cx]) - (cy < 0 ? -1 : ranks[k][cy]);
        if (d !== 0) return d;
      }
      return x - y;
    };
    for (let b = 0; b < blockCount; b++) {
      if (!windowed[b]) continue;
      const slice = Array.from(members.subarray(start[b], start[b + 1])).sort(cmp);
      members.set(slice, start[b]);
    }
    for (let b = 0; b < blockCount; b++) {
      if (!windowed[b]) continue;
      for (let k = start[b]; k < start[b + 1]; k++) {
        const i = members[k];
        for (let r = 0; r < R; r++) if (recordBlocks[i * R + r] === b) recordPos[i * R + r] = k - start[b];
      }
    }
  }
  return { ruleCount: R, recordBlocks, recordPos, start, members, windowed, count: blockCount, oversized, windowedCount, pairEstimate, ruleBlockStart, rulePairs, skippedRules };
}

/** Visits the pairs one blocking rule generates (a pair may also come from other rules). */
function forEachPairOfRule(ds: Dataset, blocks: Blocks, r: number, linkOnly: boolean, visit: (i: number, j: number) => void): void {
  const { start, members, windowed, ruleBlockStart } = blocks;
  const src = ds.sources;
  for (let b = ruleBlockStart[r]; b < ruleBlockStart[r + 1]; b++) {
    const end = start[b + 1];
    for (let k = start[b]; k < end; k++) {
      const x = members[k];
      const last = windowed[b] ? Math.min(end, k + windowed[b] + 1) : end;
      for (let k2 = k + 1; k2 < last; k2++) {
        const y = members[k2];
        if (linkOnly && src[x] === src[y]) continue;
        if (x < y) visit(x, y);
        else visit(y, x);
      }
    }
  }
}

/** Visits every candidate pair i < j exactly once, in a fixed order (by i, then rule, then block order). */
function forEachCandidate(ds: Dataset, blocks: Blocks, linkOnly: boolean, visit: (i: number, j: number) => void, lo = 0, hi = ds.size): number {
  const n = ds.size;
  const R = blocks.ruleCount;
  const mark = new Int32Array(n).fill(-1);
  const { recordBlocks, recordPos, start, members, windowed } = blocks;
  const src = ds.sources;
  let pairs = 0;
  for (let i = lo; i < hi; i++) {
    for (let r = 0; r < R; r++) {
      const b = recordBlocks[i * R + r];
      if (b < 0) continue;
      let from = start[b];
      let end = start[b + 1];
      const W = windowed[b];
      if (W) {
        const p = from + recordPos[i * R + r];
        from = Math.max(from, p - W);
        end = Math.min(end, p + W + 1);
      }
      for (let k = from; k < end; k++) {
        const j = members[k];
        if (j <= i || mark[j] === i) continue;
        mark[j] = i;
        if (linkOnly && src[i] === src[j]) continue;
        pairs++;
        visit(i, j);
      }
    }
  }
  return pairs;
}

/** Fast scoring of dataset records by index, sharing comparators and weights with `compare`. */
class BatchScorer {
  readonly F: number;
  readonly levels: Int8Array;
  tfAdj: Float64Array[] = [];
  /** Per deterministic field, per code: 1 if the value is carried by few enough people to link on its own. */
  identifierOk: (Uint8Array | null)[] = [];
  private readonly fi: number;
  /** Per field with a small dictionary, levels already computed for pairs of codes (names repeat a lot). */
  private readonly levelCache: (LevelCache | null)[];

  constructor(
    readonly ds: Dataset,
    public cm: CompiledModel,
  ) {
    this.F = ds.schema.length;
    this.levels = new Int8Array(this.F);
    this.fi = cm.familyIndex;
    this.levelCache = ds.dictionaries.map((d) => (d.length >= LEVEL_CACHE_MIN_DICTIONARY ? new LevelCache(Math.min(LEVEL_CACHE_BITS, Math.max(8, Math.ceil(Math.log2(d.length * 8))))) : null));
  }

  /** Fills this.levels for (i, j). */
  computeLevels(i: number, j: number): void {
    codedLevels(this.cm, this.ds, i, j, this.levelCache, this.levels);
  }

  /** Log2 posterior odds for (i, j), including deterministic identifier rules. Uses this.levels as scratch. */
  score(i: number, j: number): number {
    this.computeLevels(i, j);
    const cm = this.cm;
    const lv = this.levels;
    const codes = this.ds.codes;
    let total = cm.priorScore;
    let intrinsic = 0;
    let deterministic = false;
    let conflicts = 0;
    let nameConflict = false;
    const intr = cm.intrinsic;
    for (let f = 0; f < this.F; f++) {
      const l = lv[f];
      if (l < 0) continue;
      let w = cm.weights[f][l];
      if (l === 0) {
        const code = codes[f][i];
        w += this.tfAdj[f][code];
        const ok = this.identifierOk[f];
        if (ok && ok[code]) deterministic = true;
        else if (ok && cm.model.guardrails.crowdedIdentifiersWeighNothing) w = 0;
      }
      if (intr[f]) {
        intrinsic += cm.weights[f][l];
        if (l === cm.lastLevel[f]) {
          conflicts++;
          if (cm.nameField[f]) nameConflict = true;
        }
      }
      total += w;
    }
    const fi = this.fi;
    return applyGuardrails(cm, total, intrinsic, conflicts, nameConflict, deterministic, fi >= 0 && lv[fi] === cm.lastLevel[fi]);
  }
}

// Small deterministic PRNG (mulberry32): sampling must not depend on Math.random.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pairHash(i: number, j: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(j + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

function computeTermFrequencies(ds: Dataset, model: MatchModel, cm: CompiledModel): Float64Array[] {
  return ds.schema.map((_, f) => {
    const counts = ds.counts[f];
    let nonMissing = 0;
    for (let c = 0; c < counts.length; c++) nonMissing += counts[c];
    const adj = new Float64Array(counts.length);
    if (!model.fields[f].termFrequency || nonMissing === 0) return adj;
    for (let c = 0; c < counts.length; c++) adj[c] = cm.tfAdjustment(f, counts[c] / nonMissing);
    return adj;
  });
}

/** Σ tf² per field: probability that two random records with values agree exactly. */
function exactAgreement(ds: Dataset, f: number): number {
  const counts = ds.counts[f];
  let n = 0;
  let s = 0;
  for (let c = 0; c < counts.length; c++) n += counts[c];
  if (n < 2) return 0;
  for (let c = 0; c < counts.length; c++) s += counts[c] * (counts[c] - 1);
  return Math.max(s / (n * (n - 1)), 1 / (n * n));
}

function identifierGuards(ds: Dataset, model: MatchModel, cm: CompiledModel): (Uint8Array | null)[] {
  // A person signature to count distinct people behind one identifier value: the canonical given name
  // and the birth year when there are both (in a large file many different James Smiths share a
  // look-alike mailbox such as james.smith@...; the given name alone would count them as one person),
  // the given name alone when the year is missing, otherwise the birth date, otherwise the record itself.
  const gi = ds.schema.findIndex((f) => f.kind === 'givenName' || f.kind === 'fullName');
  const bi = ds.schema.findIndex((f) => f.kind === 'birthDate');
  let signature: (i: number) => number;
  if (gi >= 0) {
    const dict = ds.dictionaries[gi];
    const canon = new Map<string, number>();
    const sig = new Int32Array(dict.length);
    for (let c = 0; c < dict.length; c++) {
      const k = transformKey('canonical', dict[c]);
      let v = canon.get(k);
      if (v === undefined) {
        v = canon.size;
        canon.set(k, v);
      }
      sig[c] = v;
    }
    if (bi >= 0) {
      const dates = ds.dictionaries[bi];
      const year = new Int32Array(dates.length);
      for (let c = 0; c < dates.length; c++) {
        const y = Number.parseInt(dates[c].slice(0, 4), 10);
        year[c] = Number.isFinite(y) && y >= 0 ? y % 4096 : 4095;
      }
      // A record without a birth date gets the given name with an "unknown year" signature (at most one
      // extra person counted per given name).
      signature = (i) => {
        const g = ds.codes[gi][i];
        if (g < 0) return -1;
        const b = ds.codes[bi][i];
        return sig[g] * 4096 + (b >= 0 ? year[b] : 4095);
      };
    } else signature = (i) => (ds.codes[gi][i] >= 0 ? sig[ds.codes[gi][i]] : -1);
  } else if (bi >= 0) signature = (i) => ds.codes[bi][i];
  else signature = (i) => i;
  return ds.schema.map((_, f) => {
    if (!cm.deterministic[f]) return null;
    const codes = ds.codes[f];
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < ds.size; i++) if (codes[i] >= 0) pairs.push([codes[i], signature(i)]);
    pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const ok = new Uint8Array(ds.dictionaries[f].length).fill(1);
    let k = 0;
    while (k < pairs.length) {
      const code = pairs[k][0];
      let distinct = 0;
      let last = NaN;
      for (; k < pairs.length && pairs[k][0] === code; k++) {
        const s = pairs[k][1];
        if (s >= 0 && s !== last) distinct++;
        last = s;
      }
      if (distinct > model.guardrails.maxPeoplePerIdentifier) ok[code] = 0;
    }
    return ok;
  });
}

/**
 * Estimates u from random pairs (agreement by chance), then m and the match rate by EM on a sample of
 * candidate pairs, aggregated by comparison pattern. The prior stored in the model is the match rate over
 * all pairs (expected matches / all pairs), so that random-pair u and the prior describe the same population.
 */
function train(ds: Dataset, blocks: Blocks, base: MatchModel, linkOnly: boolean, options: ResolveOptions): { model: MatchModel; candidatePairs: number } {
  const F = ds.schema.length;
  const cm0 = new CompiledModel(base);
  const scorer = new BatchScorer(ds, cm0);
  const n = ds.size;
  const levelCounts = base.fields.map((f) => f.levels.length);

  // u: agreement of random pairs (different people, overwhelmingly).
  const random = options.randomPairs ?? 50_000;
  const uCounts = levelCounts.map((L) => new Float64Array(L));
  const next = rng(0x5eed);
  let drawn = 0;
  if (n >= 2) {
    for (let t = 0; t < random * 3 && drawn < random; t++) {
      const i = Math.floor(next() * n);
      const j = Math.floor(next() * n);
      if (i === j || (linkOnly && ds.sources[i] === ds.sources[j])) continue;
      drawn++;
      scorer.computeLevels(Math.min(i, j), Math.max(i, j));
      for (let f = 0; f < F; f++) if (scorer.levels[f] >= 0) uCounts[f][scorer.levels[f]]++;
    }
  }
  const uRandom = base.fields.map((fm, f) => {
    const row = uCounts[f];
    let total = 0;
    for (const x of row) total += x;
    const exact = exactAgreement(ds, f);
    const out = new Array<number>(row.length);
    const alpha = 10;
    for (let l = 0; l < row.length; l++) out[l] = (row[l] + alpha * fm.u[l]) / (total + alpha);
    if (exact > 0) out[0] = exact;
    const rest = out.slice(1).reduce((a, b) => a + b, 0);
    for (let l = 1; l < row.length; l++) out[l] = (out[l] / rest) * (1 - out[0]);
    return out;
  });

  const model: MatchModel = JSON.parse(JSON.stringify(base)) as MatchModel;
  model.fields.forEach((fm, f) => {
    fm.uExactRandom = uRandom[f][0];
    fm.u = uRandom[f];
  });
  const maxDisagreement = base.fields.map((f) => MAX_DISAGREEMENT[f.kind]);
  const radix = levelCounts.map((L) => L + 1);
  const fieldIndex = new Map(ds.schema.map((f, i) => [f.name, i]));

  // m per field by EM on each blocking rule's own pairs with the rule's fields left out: pairs found by
  // "same surname and birth year" say nothing about how often true matches agree on surname, but they
  // say it well for every other field (the approach Splink uses). Each field's m is the average over
  // the rules that did not block on it, weighted by the matches EM found there.
  const maxPerRule = Math.max(10_000, Math.floor((options.emSamplePairs ?? 150_000) / Math.max(1, blocks.ruleCount)));
  const mSum = base.fields.map((f) => new Array<number>(f.levels.length).fill(0));
  const mWeight = new Array<number>(F).fill(0);
  let emIterations = 0;
  let emPairs = 0;
  for (let r = 0; r < blocks.ruleCount; r++) {
    const excluded = new Set(model.blocking.rules[r].parts.map((p) => fieldIndex.get(p.field) as number));
    const patterns = new PatternCounter(F, radix);
    const pairsInRule = blocks.rulePairs[r];
    const rate = Math.min(1, maxPerRule / Math.max(1, pairsInRule));
    forEachPairOfRule(ds, blocks, r, linkOnly, (i, j) => {
      if (rate < 1 && pairHash(i, j) >= rate) return;
      scorer.computeLevels(i, j);
      for (const f of excluded) scorer.levels[f] = -1;
      patterns.add(scorer.levels);
    });
    if (patterns.total < 50) continue;
    emPairs += patterns.total;
    const em = runEm(patterns.input(levelCounts), { m: base.fields.map((f) => f.m), u: uRandom, prior: 0.3 }, { smoothing: 2, maxDisagreement });
    emIterations += em.iterations;
    const matches = em.prior * patterns.total;
    if (matches < 5) continue;
    for (let f = 0; f < F; f++) {
      if (excluded.has(f) || patterns.present[f] < 20) continue;
      for (let l = 0; l < levelCounts[f]; l++) mSum[f][l] += matches * em.m[f][l];
      mWeight[f] += matches;
    }
  }
  model.fields.forEach((fm, f) => {
    if (mWeight[f] > 0) fm.m = mSum[f].map((x) => x / mWeight[f]);
  });

  // The prior: P(match) for a random pair, from the expected number of matches among (a sample of)
  // all candidate pairs under the trained m and u, iterated to a fixed point. Pairs that no rule
  // blocks together are taken to be non-matches.
  let totalPairs = (n * (n - 1)) / 2;
  if (linkOnly) {
    const perSource = new Map<number, number>();
    for (let i = 0; i < n; i++) perSource.set(ds.sources[i], (perSource.get(ds.sources[i]) ?? 0) + 1);
    let sq = 0;
    for (const c of perSource.values()) sq += c * c;
    totalPairs = (n * n - sq) / 2;
  }
  const rate = Math.min(1, (options.emSamplePairs ?? 150_000) / Math.max(1, blocks.pairEstimate));
  const sample = new PatternCounter(F, radix);
  const candidatePairs = forEachCandidate(ds, blocks, linkOnly, (i, j) => {
    if (rate < 1 && pairHash(i, j) >= rate) return;
    scorer.computeLevels(i, j);
    sample.add(scorer.levels);
  });
  const sampledShare = candidatePairs > 0 ? sample.total / candidatePairs : 1;
  const trained = emPairs >= 50 && sample.total > 0;
  if (trained) {
    const input = sample.input(levelCounts);
    const logBf = new Float64Array(input.counts.length);
    for (let p = 0; p < input.counts.length; p++) {
      let s = 0;
      for (let f = 0; f < F; f++) {
        const l = input.patterns[p * F + f];
        if (l >= 0) s += Math.log(Math.max(model.fields[f].m[l], 1e-12) / Math.max(model.fields[f].u[l], 1e-12));
      }
      logBf[p] = s;
    }
    let prior = Math.min(0.5, Math.max(1e-12, candidatePairs / Math.max(1, totalPairs) / 2));
    for (let it = 0; it < 100; it++) {
      const lo = Math.log(prior / (1 - prior));
      let expected = 0;
      for (let p = 0; p < logBf.length; p++) expected += input.counts[p] / (1 + Math.exp(-(lo + logBf[p])));
      const next = Math.min(0.5, Math.max(1e-12, expected / sampledShare / Math.max(1, totalPairs)));
      if (Math.abs(Math.log(next / prior)) < 1e-6) {
        prior = next;
        break;
      }
      prior = next;
    }
    model.prior = prior;
  }
  model.training = { candidatePairs, emPairs, emIterations, randomPairs: drawn, trained };
  return { model, candidatePairs };
}

/**
 * Trains a model on a dataset without resolving it: u from random pairs, m per field by EM on each
 * blocking rule's pairs, the prior from the candidate pairs (as `resolveDataset` trains before it
 * scores). Reads no labels. `model.training.trained` is false when the data gave EM too few pairs,
 * and the model is then the starting one with u measured.
 */
export function trainModel(ds: Dataset, options: Pick<ResolveOptions, 'model' | 'linkOnly' | 'modelOptions' | 'emSamplePairs' | 'randomPairs'> = {}): MatchModel {
  const linkOnly = options.linkOnly ?? false;
  const base = options.model ?? defaultModel(ds.schema, options.modelOptions);
  const model = train(ds, buildBlocks(ds, base, linkOnly), base, linkOnly, options).model;
  // Tables of the data trained on, never a base model's.
  const { termFrequencies: _base, ...trained } = model;
  const termFrequencies = termFrequencyTables(ds, model);
  return Object.keys(termFrequencies).length > 0 ? { ...trained, termFrequencies } : trained;
}

/** The most values a term-frequency table keeps per field (the most frequent; see termFrequencyTables). */
export const TERM_FREQUENCY_VALUES = 20_000;

/** The fewest records carrying a value seen twice or more for a field to get a table (see termFrequencyTables). */
export const TERM_FREQUENCY_MIN_REPEATS = 100;

/**
 * Per field weighted by term frequency, other than the deterministic identifiers (whose crowded values
 * the people-count guardrail handles), the share of the dataset's records with a value that carry
 * each value seen at least twice: the most frequent TERM_FREQUENCY_VALUES of them, sorted by value
 * so that the same data gives the same file. A value not in the table takes the floor, the share of
 * the least frequent value in it: an unseen value never weighs more than the rarest known one (a
 * country the training data never had is not taken for a rare one, worth the clamp's +8 bits). A
 * field with fewer than TERM_FREQUENCY_MIN_REPEATS records carrying a repeated value gets no table:
 * its frequencies cannot be told from so little (in a sandbox of 600 records, one birth date seen
 * twice made every birth-date agreement weigh 6.7 bits less).
 */
export function termFrequencyTables(ds: Dataset, model: MatchModel): Record<string, TermFrequencyTable> {
  const tables: Record<string, TermFrequencyTable> = {};
  ds.schema.forEach((spec, f) => {
    const field = model.fields[f];
    if (!field || !takesTermFrequencyTable(field, model)) return;
    const counts = ds.counts[f];
    let total = 0;
    let repeated = 0;
    const seen: number[] = [];
    for (let c = 0; c < counts.length; c++) {
      total += counts[c];
      if (counts[c] >= 2) {
        seen.push(c);
        repeated += counts[c];
      }
    }
    if (repeated < TERM_FREQUENCY_MIN_REPEATS) return;
    seen.sort((x, y) => counts[y] - counts[x] || (ds.dictionaries[f][x] < ds.dictionaries[f][y] ? -1 : 1));
    const kept = seen.slice(0, TERM_FREQUENCY_VALUES);
    const floorCount = counts[kept[kept.length - 1]];
    kept.sort((x, y) => (ds.dictionaries[f][x] < ds.dictionaries[f][y] ? -1 : 1));
    // No prototype: a value is any string, "__proto__" included.
    const values = Object.create(null) as Record<string, number>;
    for (const c of kept) values[ds.dictionaries[f][c]] = counts[c] / total;
    tables[spec.name] = { values, floor: floorCount / total };
  });
  return tables;
}

/** Comparison patterns aggregated with counts (EM works on distinct patterns, not on pairs). */
class PatternCounter {
  private readonly index = new Map<number, number>();
  private readonly levels: number[] = [];
  private readonly counts: number[] = [];
  readonly present: number[];
  total = 0;

  constructor(
    private readonly F: number,
    private readonly radix: number[],
  ) {
    this.present = new Array<number>(F).fill(0);
  }

  add(levels: Int8Array): void {
    let key = 0;
    let mult = 1;
    for (let f = 0; f < this.F; f++) {
      key += (levels[f] + 1) * mult;
      mult *= this.radix[f];
      if (levels[f] >= 0) this.present[f]++;
    }
    let p = this.index.get(key);
    if (p === undefined) {
      p = this.counts.length;
      this.index.set(key, p);
      this.counts.push(0);
      for (let f = 0; f < this.F; f++) this.levels.push(levels[f]);
    }
    this.counts[p]++;
    this.total++;
  }

  input(levelCounts: number[]) {
    return { patterns: Int8Array.from(this.levels), counts: Float64Array.from(this.counts), fieldCount: this.F, levelCounts };
  }
}

/** Everything scoring needs, prepared once on the main thread. */
interface Prepared {
  ds: Dataset;
  options: ResolveOptions;
  linkOnly: boolean;
  model: MatchModel;
  blocks: Blocks;
  cm: CompiledModel;
  scorer: BatchScorer;
  candidatePairs: number;
  lap(name: string): void;
  timings: Record<string, number>;
  cpu: Record<string, number>;
}

function prepare(ds: Dataset, options: ResolveOptions): Prepared {
  const timings: Record<string, number> = {};
  let t0 = Date.now();
  const cpu: Record<string, number> = {};
  let c0 = process.cpuUsage();
  const lap = (name: string) => {
    const t = Date.now();
    timings[name] = t - t0;
    t0 = t;
    const c = process.cpuUsage();
    cpu[name] = (c.user - c0.user + c.system - c0.system) / 1000;
    c0 = c;
    options.onStage?.(name);
  };
  const linkOnly = options.linkOnly ?? false;
  let model = options.model ?? defaultModel(ds.schema, options.modelOptions);
  const blocks = buildBlocks(ds, model, linkOnly);
  lap('blocking');
  let candidatePairs = -1;
  if (options.train ?? true) {
    const t = train(ds, blocks, model, linkOnly, options);
    model = t.model;
    candidatePairs = t.candidatePairs;
    lap('training');
  }
  const cm = new CompiledModel(model);
  const scorer = new BatchScorer(ds, cm);
  scorer.tfAdj = computeTermFrequencies(ds, model, cm);
  scorer.identifierOk = identifierGuards(ds, model, cm);
  return { ds, options, linkOnly, model, blocks, cm, scorer, candidatePairs, lap, timings, cpu };
}

/** Edges at or above the review score among the candidate pairs (i, j) with lo <= i < hi, in a fixed order. */
interface RangeEdges {
  a: Int32Array;
  b: Int32Array;
  score: Float32Array;
  length: number;
  pairs: number;
}

function scoreRange(ds: Dataset, blocks: Blocks, linkOnly: boolean, scorer: BatchScorer, lo: number, hi: number): RangeEdges {
  let cap = 1 << 16;
  let ea = new Int32Array(cap);
  let eb = new Int32Array(cap);
  let es = new Float32Array(cap);
  let m = 0;
  const reviewScore = scorer.cm.reviewScore;
  const pairs = forEachCandidate(
    ds,
    blocks,
    linkOnly,
    (i, j) => {
      const s = scorer.score(i, j);
      if (s < reviewScore) return;
      if (m === cap) {
        cap *= 2;
        const na = new Int32Array(cap);
        na.set(ea);
        ea = na;
        const nb = new Int32Array(cap);
        nb.set(eb);
        eb = nb;
        const ns = new Float32Array(cap);
        ns.set(es);
        es = ns;
      }
      ea[m] = i;
      eb[m] = j;
      es[m] = s;
      m++;
    },
    lo,
    hi,
  );
  return { a: ea.slice(0, m), b: eb.slice(0, m), score: es.slice(0, m), length: m, pairs };
}

/** What a scoring worker receives: the dataset without its ids, the blocks, the trained model and the per-value tables. */
export interface ScoringJob {
  ds: Dataset;
  blocks: Blocks;
  model: MatchModel;
  linkOnly: boolean;
  tfAdj: Float64Array[];
  identifierOk: (Uint8Array | null)[];
  lo: number;
  hi: number;
}

/** Runs one scoring job (the body of a worker thread). */
export function runScoringJob(job: ScoringJob): RangeEdges {
  const scorer = new BatchScorer(job.ds, new CompiledModel(job.model));
  scorer.tfAdj = job.tfAdj;
  scorer.identifierOk = job.identifierOk;
  return scoreRange(job.ds, job.blocks, job.linkOnly, scorer, job.lo, job.hi);
}

function finish(p: Prepared, parts: RangeEdges[]): BatchResult {
  const { ds, linkOnly, model, blocks, cm, scorer } = p;
  let m = 0;
  let pairs = 0;
  for (const r of parts) {
    m += r.length;
    pairs += r.pairs;
  }
  // Ranges are in record order, so the concatenation is the order a single thread produces.
  const ea = new Int32Array(m);
  const eb = new Int32Array(m);
  const es = new Float32Array(m);
  let off = 0;
  for (const r of parts) {
    ea.set(r.a.subarray(0, r.length), off);
    eb.set(r.b.subarray(0, r.length), off);
    es.set(r.score.subarray(0, r.length), off);
    off += r.length;
  }
  const candidatePairs = p.candidatePairs < 0 ? pairs : p.candidatePairs;
  const edges: ScoredEdges = { a: ea, b: eb, score: es, length: m };
  p.lap('scoring');
  const { labels, refused } = clusterEdges(ds.size, edges, {
    linkScore: cm.linkScore,
    maxClusterSize: model.guardrails.maxClusterSize,
    pairScore: (i, j) => (linkOnly && ds.sources[i] === ds.sources[j] ? 0 : mergeSupport(scorer.score(i, j))),
  });
  p.lap('clustering');
  const review: number[] = [...refused];
  let linkEdges = 0;
  for (let e = 0; e < m; e++) {
    if (es[e] >= cm.linkScore) linkEdges++;
    else if (labels[ea[e]] !== labels[eb[e]]) review.push(e);
  }
  review.sort((x, y) => x - y);
  const sizes = new Map<number, number>();
  for (let i = 0; i < ds.size; i++) sizes.set(labels[i], (sizes.get(labels[i]) ?? 0) + 1);
  let largest = 0;
  for (const s of sizes.values()) largest = Math.max(largest, s);
  return {
    labels,
    edges,
    review,
    model,
    stats: {
      records: ds.size,
      blockingRules: blocks.ruleCount,
      blocks: blocks.count,
      oversizedBlocks: blocks.oversized,
      windowedBlocks: blocks.windowedCount,
      skippedRules: blocks.skippedRules,
      candidatePairs,
      linkEdges,
      reviewEdges: review.length,
      refusedLinks: refused.length,
      clusters: sizes.size,
      largestCluster: largest,
      emIterations: model.training.emIterations,
      timingsMs: p.timings,
      cpuMs: p.cpu,
      rulePairs: Object.fromEntries(model.blocking.rules.map((r, k) => [r.name, blocks.rulePairs[k]])),
      scoringThreads: parts.length,
    },
  };
}

/** The batch pipeline over a prepared dataset: block, train (unless told not to), score, cluster. */
export function resolveDataset(ds: Dataset, options: ResolveOptions = {}): BatchResult {
  const p = prepare(ds, options);
  return finish(p, [scoreRange(ds, p.blocks, p.linkOnly, p.scorer, 0, ds.size)]);
}

/**
 * resolveDataset with the scoring of candidate pairs spread over worker threads (record ranges; each
 * thread enumerates the pairs whose smaller record falls in its range, so no pair is scored twice and
 * the concatenated edges equal the single-threaded ones). Same result as resolveDataset, whatever the
 * thread count. Falls back to one thread for small inputs or when the compiled worker is not available
 * (e.g. running from TypeScript sources under ts-jest).
 */
export async function resolveDatasetParallel(ds: Dataset, options: ResolveOptions & { threads?: number } = {}): Promise<BatchResult> {
  const p = prepare(ds, options);
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), 8));
  const workerFile = join(__dirname, 'score-worker.js');
  if (threads < 2 || p.blocks.pairEstimate < 400_000 || !existsSync(workerFile)) return finish(p, [scoreRange(ds, p.blocks, p.linkOnly, p.scorer, 0, ds.size)]);
  const bounds: number[] = [];
  // A pair belongs to its smaller record, so low indices own more pairs: with members in random order
  // the share owned by records below x·n is 1 - (1 - x)², hence these range bounds for equal work.
  for (let t = 0; t <= threads; t++) bounds.push(Math.round(ds.size * (1 - Math.sqrt(1 - t / threads))));
  // Workers get the dataset without record ids (strings they do not need).
  const shared: Dataset = { ...ds, ids: [] };
  const jobs: Promise<RangeEdges>[] = [];
  for (let t = 1; t < threads; t++) {
    const job: ScoringJob = { ds: shared, blocks: p.blocks, model: p.model, linkOnly: p.linkOnly, tfAdj: p.scorer.tfAdj, identifierOk: p.scorer.identifierOk, lo: bounds[t], hi: bounds[t + 1] };
    jobs.push(
      new Promise<RangeEdges>((resolveJob, reject) => {
        const w = new Worker(workerFile, { workerData: job });
        w.once('message', (r: RangeEdges) => resolveJob(r));
        w.once('error', reject);
        w.once('exit', (code) => {
          if (code !== 0) reject(new Error(`scoring worker exited with code ${code}`));
        });
      }),
    );
  }
  // The main thread scores the first range meanwhile.
  const first = scoreRange(ds, p.blocks, p.linkOnly, p.scorer, bounds[0], bounds[1]);
  const rest = await Promise.all(jobs);
  return finish(p, [first, ...rest]);
}

export interface ResolvedCluster {
  clusterId: string;
  recordIds: string[];
}

export interface ResolveRecordsResult {
  /** record id → cluster id (the smallest (source, id) record of the cluster). */
  assignments: Map<string, string>;
  clusters: ResolvedCluster[];
  /** Scored pairs with evidence, at or above the review threshold. */
  links: Array<{ a: string; b: string; result: MatchResult }>;
  review: Array<{ a: string; b: string; result: MatchResult }>;
  model: MatchModel;
  stats: ResolveStats;
}

/** Batch resolution of in-memory records; the convenience form of resolveDataset with evidence per edge. */
export function resolve(records: readonly InputRecord[], schema: readonly FieldSpec[], options: ResolveOptions = {}): ResolveRecordsResult {
  const model0 = options.model ?? defaultModel(schema, options.modelOptions);
  const builder = new DatasetBuilder(schema, model0.normalization);
  const byKey = new Map<string, InputRecord>();
  for (const r of records) {
    builder.add(r.id, r.source ?? '', schema.map((f) => r.attributes[f.name] ?? null));
    byKey.set(`${r.source ?? ''}\u0000${r.id}`, r);
  }
  const ds = builder.build();
  const out = resolveDataset(ds, { ...options, model: model0 });
  const key = (i: number) => `${ds.sourceNames[ds.sources[i]]}\u0000${ds.ids[i]}`;
  const label = (i: number) => (ds.sourceNames.length > 1 ? `${ds.sourceNames[ds.sources[i]]}:${ds.ids[i]}` : ds.ids[i]);
  const assignments = new Map<string, string>();
  const groups = new Map<number, string[]>();
  for (let i = 0; i < ds.size; i++) {
    assignments.set(label(i), label(out.labels[i]));
    const g = groups.get(out.labels[i]) ?? [];
    g.push(label(i));
    groups.set(out.labels[i], g);
  }
  const normalizer = new ValueNormalizer(out.model.normalization);
  const normalized = (i: number) => normalizeRecord(byKey.get(key(i)) as InputRecord, schema, normalizer);
  const context = datasetContext(ds, out.model);
  const explain = (e: number) => ({ a: label(out.edges.a[e]), b: label(out.edges.b[e]), result: comparePair(normalized(out.edges.a[e]), normalized(out.edges.b[e]), out.model, context) });
  const links: ResolveRecordsResult['links'] = [];
  for (let e = 0; e < out.edges.length; e++) if (out.labels[out.edges.a[e]] === out.labels[out.edges.b[e]] && out.edges.score[e] >= probabilityToScore(out.model.thresholds.link)) links.push(explain(e));
  return {
    assignments,
    clusters: [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([l, ids]) => ({ clusterId: label(l), recordIds: ids })),
    links,
    review: out.review.map(explain),
    model: out.model,
    stats: out.stats,
  };
}

/** A ScoringContext backed by a dataset's value counts (what a service would read from its index). */
export function datasetContext(ds: Dataset, model: MatchModel): ScoringContext {
  const lookup = ds.schema.map((_, f) => new Map(ds.dictionaries[f].map((v, c) => [v, c])));
  const totals = ds.counts.map((c) => c.reduce((a, b) => a + b, 0));
  const guards = identifierGuards(ds, model, new CompiledModel(model));
  return {
    termFrequency: (f, value) => {
      const c = lookup[f].get(value);
      return c === undefined || totals[f] === 0 ? undefined : ds.counts[f][c] / totals[f];
    },
    peopleSharing: (f, value) => {
      const c = lookup[f].get(value);
      const g = guards[f];
      return c === undefined || !g ? undefined : g[c] ? 1 : model.guardrails.maxPeoplePerIdentifier + 1;
    },
  };
}
