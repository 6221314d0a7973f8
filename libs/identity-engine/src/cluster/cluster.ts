/** A scored candidate pair between record indices a < b. */
export interface ScoredEdges {
  a: Int32Array;
  b: Int32Array;
  score: Float32Array;
  length: number;
}

export interface ClusterOptions {
  /** Edges at or above this score (log2 odds) may merge clusters. */
  linkScore: number;
  /** Largest cluster allowed. */
  maxClusterSize: number;
  /** Log2 odds of any pair of records, used to check a merge against every pair it would create. */
  pairScore(i: number, j: number): number;
  /** True when the two clusters must not merge (conflicting unique identifiers). */
  conflict?(membersA: readonly number[], membersB: readonly number[]): boolean;
  /** Scores are clipped to ±clip before averaging, so one perfect or one absurd pair cannot decide alone. */
  clip?: number;
  /** Largest number of cross pairs evaluated per merge; beyond it a deterministic subset is used. */
  maxPairsPerMerge?: number;
}

export interface ClusterResult {
  /** Cluster label per record: the smallest record index in its cluster. */
  labels: Int32Array;
  /** Link edges that the clustering refused (average support too low, conflict or size): candidates for review. */
  refused: number[];
}

/**
 * Order-independent edge ordering: score descending, then a, then b.
 */
export function sortEdges(edges: ScoredEdges): Int32Array {
  const order = new Int32Array(edges.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const { a, b, score } = edges;
  order.sort((x, y) => score[y] - score[x] || a[x] - a[y] || b[x] - b[y]);
  return order;
}

/**
 * Greedy agglomerative correlation clustering over link edges.
 *
 * Why this method: plain connected components over links chains A~B~C into one profile even when A and C
 * are clearly different people, and a single wrong link can glue two large clusters. Here edges are taken
 * strongest first (a total order on score and record index, so the result does not depend on input
 * order); an edge merges its two clusters only if the merge is supported by *all* the pairs it creates:
 * the mean of the clipped log-odds across the two clusters must stay positive (more likely the same
 * person than not), which is exactly when the merge lowers the correlation-clustering disagreement cost
 * under log-odds weights. A weak chain therefore cannot pull in records that contradict the cluster,
 * while a record that is close to one member and merely unremarkable against the others still joins.
 */
export function clusterEdges(n: number, edges: ScoredEdges, options: ClusterOptions): ClusterResult {
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const members = new Map<number, number[]>();
  const clip = options.clip ?? 20;
  const maxPairs = options.maxPairsPerMerge ?? 400;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const membersOf = (root: number): number[] => members.get(root) ?? [root];
  const refused: number[] = [];
  const order = sortEdges(edges);
  for (let k = 0; k < order.length; k++) {
    const e = order[k];
    if (edges.score[e] < options.linkScore) break;
    const ra = find(edges.a[e]);
    const rb = find(edges.b[e]);
    if (ra === rb) continue;
    const ma = membersOf(ra);
    const mb = membersOf(rb);
    if (ma.length + mb.length > options.maxClusterSize) {
      refused.push(e);
      continue;
    }
    if (options.conflict && options.conflict(ma, mb)) {
      refused.push(e);
      continue;
    }
    if (ma.length > 1 || mb.length > 1) {
      let sum = 0;
      let count = 0;
      const sa = subset(ma, maxPairs, mb.length);
      const sb = subset(mb, maxPairs, sa.length);
      for (const i of sa) {
        for (const j of sb) {
          let s = options.pairScore(i < j ? i : j, i < j ? j : i);
          if (s > clip) s = clip;
          else if (s < -clip) s = -clip;
          sum += s;
          count++;
        }
      }
      if (sum / count <= 0) {
        refused.push(e);
        continue;
      }
    }
    // Union by size; the surviving root is irrelevant to labels, which are the minimum index.
    const [big, small, mBig, mSmall] = ma.length >= mb.length ? [ra, rb, ma, mb] : [rb, ra, mb, ma];
    parent[small] = big;
    const merged = mBig.length === 1 ? [big] : mBig;
    for (const x of mSmall) merged.push(x);
    members.set(big, merged);
    members.delete(small);
  }
  const labels = new Int32Array(n);
  const minOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (minOf[r] < 0) minOf[r] = i;
    labels[i] = minOf[r];
  }
  return { labels, refused };
}

function subset(list: number[], maxPairs: number, otherSize: number): number[] {
  const cap = Math.max(1, Math.floor(maxPairs / Math.max(1, Math.min(otherSize, Math.ceil(Math.sqrt(maxPairs))))));
  if (list.length <= cap) return list;
  return [...list].sort((x, y) => x - y).slice(0, cap);
}
