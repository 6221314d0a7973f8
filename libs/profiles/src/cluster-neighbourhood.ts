import { clusterEdges, compare, compileModel, type MatchModel, type MatchResult, type ScoredEdges } from '@tandem/identity-engine';
import type { ResolvedRecord } from './record-model';
import { identifierKey } from './record-model';

/** Keys shared by more records than this find no candidates: a value that common identifies nobody. */
export const MAX_KEY_RECORDS = 100;

/**
 * A blocking key shared by at most this many records makes its records a candidate pair on its own;
 * in a larger block a pair must share a second key (or an identifier). A single shared key of a large
 * block (a common surname and a birth year) rarely marks the same person, and scoring every pair of
 * such blocks was most of the resolver's work at a few hundred thousand records.
 */
export const SMALL_BLOCK = 20;

/** Steward decisions about pairs, by `recordA|recordB` with recordA < recordB (record uuids). */
export interface PairConstraints {
  mustLink: ReadonlySet<string>;
  doNotLink: ReadonlySet<string>;
}

export const NO_CONSTRAINTS: PairConstraints = { mustLink: new Set(), doNotLink: new Set() };

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export interface ScoredPair {
  a: ResolvedRecord;
  b: ResolvedRecord;
  result: MatchResult;
}

export interface NeighbourhoodClusters {
  /** Clusters of records, each sorted by (source, record id); clusters sorted by their first record. */
  clusters: ResolvedRecord[][];
  /** Links that hold each cluster together, with their evidence. */
  links: ScoredPair[];
  /** Uncertain pairs across clusters for a steward: between the thresholds, or links the clustering refused. */
  review: ScoredPair[];
}

/**
 * Caches pair scores for one resolution; the pair is always compared in (source, record id) order.
 * Steward constraints apply when a score is read, so constraints found after a pair was first scored
 * (while a neighbourhood is being explored) still count.
 */
export class PairScorer {
  private readonly cache = new Map<string, MatchResult>();
  readonly linkScore: number;
  readonly reviewScore: number;

  constructor(readonly model: MatchModel, private readonly constraints: PairConstraints) {
    const cm = compileModel(model);
    this.linkScore = cm.linkScore;
    this.reviewScore = cm.reviewScore;
  }

  score(x: ResolvedRecord, y: ResolvedRecord): MatchResult {
    const [a, b] = x.sortKey < y.sortKey ? [x, y] : [y, x];
    const key = pairKey(a.stored.id, b.stored.id);
    let hit = this.cache.get(key);
    if (!hit) {
      hit = compare(a.normalized, b.normalized, this.model);
      this.cache.set(key, hit);
    }
    if (this.constraints.mustLink.has(key)) return { ...hit, score: Math.max(hit.score, this.linkScore + 30), rule: 'steward:must-link', decision: 'link' };
    if (this.constraints.doNotLink.has(key)) return { ...hit, score: Math.min(hit.score, -30), rule: 'steward:do-not-link', decision: 'no-link' };
    return hit;
  }

  isLink(x: ResolvedRecord, y: ResolvedRecord): boolean {
    return this.score(x, y).score >= this.linkScore;
  }
}

/** Every key of a record: identifiers and blocking keys, as the lock and lookup strings. */
export function recordKeys(r: ResolvedRecord): string[] {
  return [...r.identifiers.map(identifierKey), ...r.blockingKeys];
}

/**
 * Clusters a closed neighbourhood of records (every record linked to one of them is among them) with the
 * engine's order-independent clustering. Records are indexed in (source, record id) order and pairs are
 * scored the same way, so the same records give the same clusters whatever order they arrived in.
 */
export function clusterNeighbourhood(records: readonly ResolvedRecord[], scorer: PairScorer, constraints: PairConstraints): NeighbourhoodClusters {
  const sorted = [...new Map(records.map((r) => [r.stored.id, r])).values()].sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  const n = sorted.length;
  const index = new Map(sorted.map((r, i) => [r.stored.id, i]));
  const byKey = new Map<string, number[]>();
  sorted.forEach((r, i) => {
    for (const k of recordKeys(r)) {
      const list = byKey.get(k);
      if (list) list.push(i);
      else byKey.set(k, [i]);
    }
  });
  const pairs = new Set<number>();
  const addPair = (i: number, j: number) => pairs.add(i < j ? i * n + j : j * n + i);
  const sharedOnce = new Set<number>();
  for (const [key, list] of byKey) {
    if (list.length < 2 || list.length > MAX_KEY_RECORDS) continue;
    const alone = list.length <= SMALL_BLOCK || key.startsWith('id:');
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        if (alone) addPair(list[x], list[y]);
        else {
          // A second shared key of a large block makes the pair.
          const p = list[x] < list[y] ? list[x] * n + list[y] : list[y] * n + list[x];
          if (sharedOnce.has(p)) pairs.add(p);
          else sharedOnce.add(p);
        }
      }
    }
  }
  for (const key of constraints.mustLink) {
    const [a, b] = key.split('|');
    const i = index.get(a);
    const j = index.get(b);
    if (i !== undefined && j !== undefined) addPair(i, j);
  }
  const list = [...pairs].sort((x, y) => x - y);
  const ea: number[] = [];
  const eb: number[] = [];
  const es: number[] = [];
  for (const p of list) {
    const i = Math.floor(p / n);
    const j = p % n;
    const s = scorer.score(sorted[i], sorted[j]).score;
    if (s < scorer.reviewScore) continue;
    ea.push(i);
    eb.push(j);
    es.push(s);
  }
  const edges: ScoredEdges = { a: Int32Array.from(ea), b: Int32Array.from(eb), score: Float32Array.from(es), length: ea.length };
  const { labels } = clusterEdges(n, edges, {
    linkScore: scorer.linkScore,
    maxClusterSize: scorer.model.guardrails.maxClusterSize,
    pairScore: (i, j) => scorer.score(sorted[i], sorted[j]).score,
    conflict: (ma, mb) => {
      if (constraints.doNotLink.size === 0) return false;
      for (const i of ma) for (const j of mb) if (constraints.doNotLink.has(pairKey(sorted[i].stored.id, sorted[j].stored.id))) return true;
      return false;
    },
  });
  const groups = new Map<number, ResolvedRecord[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(sorted[i]);
    else groups.set(labels[i], [sorted[i]]);
  }
  const clusters = [...groups.entries()].sort((x, y) => x[0] - y[0]).map(([, g]) => g);
  const links: ScoredPair[] = [];
  const review: ScoredPair[] = [];
  for (let e = 0; e < edges.length; e++) {
    const a = sorted[edges.a[e]];
    const b = sorted[edges.b[e]];
    const key = pairKey(a.stored.id, b.stored.id);
    if (labels[edges.a[e]] === labels[edges.b[e]]) {
      if (edges.score[e] >= scorer.linkScore) links.push({ a, b, result: scorer.score(a, b) });
    } else if (!constraints.doNotLink.has(key) && !constraints.mustLink.has(key)) {
      // Uncertain pairs, and links the clustering refused: the resolver follows the latter from the review
      // queue when either record's neighbourhood is resolved again.
      review.push({ a, b, result: scorer.score(a, b) });
    }
  }
  return { clusters, links, review };
}
