export interface PairwiseScores {
  truePairs: number;
  predictedPairs: number;
  correctPairs: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface QualityReport {
  pairwise: PairwiseScores;
  bcubed: { precision: number; recall: number; f1: number };
}

function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/**
 * Pairwise precision/recall/F1 and B-cubed scores of predicted clusters against true clusters.
 * With `sources` and `crossSourceOnly`, only pairs of records from different sources count (linkage).
 */
export function evaluateClusters(predicted: ArrayLike<number>, truth: ArrayLike<number>, sources?: ArrayLike<number>, crossSourceOnly = false): QualityReport {
  const n = predicted.length;
  const cross = crossSourceOnly && sources !== undefined;
  const pairsIn = (groups: Map<string | number, number[]>) => {
    let total = 0;
    for (const counts of groups.values()) {
      if (!cross) {
        const c = counts.reduce((a, b) => a + b, 0);
        total += (c * (c - 1)) / 2;
      } else {
        let sum = 0;
        let sq = 0;
        for (const c of counts) {
          sum += c;
          sq += c * c;
        }
        total += (sum * sum - sq) / 2;
      }
    }
    return total;
  };
  const S = cross ? Math.max(...Array.from({ length: n }, (_, i) => (sources as ArrayLike<number>)[i])) + 1 : 1;
  const group = (key: (i: number) => string | number) => {
    const g = new Map<string | number, number[]>();
    for (let i = 0; i < n; i++) {
      const k = key(i);
      let counts = g.get(k);
      if (!counts) {
        counts = new Array<number>(S).fill(0);
        g.set(k, counts);
      }
      counts[cross ? (sources as ArrayLike<number>)[i] : 0]++;
    }
    return g;
  };
  const byPred = group((i) => predicted[i]);
  const byTruth = group((i) => truth[i]);
  const byBoth = group((i) => `${predicted[i]}\u0000${truth[i]}`);
  const predictedPairs = pairsIn(byPred);
  const truePairs = pairsIn(byTruth);
  const correctPairs = pairsIn(byBoth);
  const precision = predictedPairs === 0 ? 1 : correctPairs / predictedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;

  // B-cubed: per record, share of its predicted cluster that is truly with it, and vice versa.
  const size = (g: Map<string | number, number[]>, k: string | number) => (g.get(k) as number[]).reduce((a, b) => a + b, 0);
  let bp = 0;
  let br = 0;
  for (let i = 0; i < n; i++) {
    const both = size(byBoth, `${predicted[i]}\u0000${truth[i]}`);
    bp += both / size(byPred, predicted[i]);
    br += both / size(byTruth, truth[i]);
  }
  bp = n ? bp / n : 1;
  br = n ? br / n : 1;
  return {
    pairwise: { truePairs, predictedPairs, correctPairs, precision, recall, f1: f1(precision, recall) },
    bcubed: { precision: bp, recall: br, f1: f1(bp, br) },
  };
}
