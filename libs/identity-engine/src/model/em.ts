/**
 * Expectation-maximisation for the Fellegi-Sunter mixture on comparison patterns, without labels.
 * Patterns are aggregated (pattern → count) so an iteration costs O(distinct patterns × fields), not
 * O(pairs). Level -1 (missing) contributes nothing, as in scoring.
 */
export interface EmInput {
  /** Flattened patterns: patternCount × fieldCount levels (-1 missing). */
  patterns: Int8Array;
  counts: Float64Array;
  fieldCount: number;
  levelCounts: number[];
}

export interface EmParams {
  m: number[][];
  u: number[][];
  prior: number;
}

export interface EmOptions {
  maxIterations?: number;
  tolerance?: number;
  /** Re-estimate u too (u among candidate pairs); otherwise u stays as given. */
  estimateU?: boolean;
  /** Pseudo-count pulling each distribution towards its starting value (keeps rare levels sane). */
  smoothing?: number;
  /**
   * Per field, the most m may put on the last level ("different"). Without it EM can settle on a latent
   * class that is not "same person" (e.g. "same household": shared address, email and phone, different
   * given name and birth date); bounding how often a true duplicate disagrees outright keeps it on persons.
   */
  maxDisagreement?: readonly number[];
}

export function runEm(input: EmInput, start: EmParams, options: EmOptions = {}): EmParams & { iterations: number } {
  const { patterns, counts, fieldCount: F, levelCounts } = input;
  const P = counts.length;
  const maxIt = options.maxIterations ?? 60;
  const tol = options.tolerance ?? 1e-5;
  const alpha = options.smoothing ?? 1;
  let m = start.m.map((r) => [...r]);
  let u = start.u.map((r) => [...r]);
  const m0 = start.m;
  const u0 = start.u;
  let prior = start.prior;
  const post = new Float64Array(P);
  let it = 0;
  for (; it < maxIt; it++) {
    let expMatches = 0;
    let total = 0;
    for (let p = 0; p < P; p++) {
      let lm = Math.log(prior);
      let lu = Math.log(1 - prior);
      const base = p * F;
      for (let f = 0; f < F; f++) {
        const l = patterns[base + f];
        if (l < 0) continue;
        lm += Math.log(Math.max(m[f][l], 1e-12));
        lu += Math.log(Math.max(u[f][l], 1e-12));
      }
      const d = lu - lm;
      const w = d > 700 ? 0 : 1 / (1 + Math.exp(d));
      post[p] = w;
      expMatches += w * counts[p];
      total += counts[p];
    }
    const newPrior = Math.min(Math.max(expMatches / total, 1e-6), 1 - 1e-6);
    const nm = levelCounts.map((L) => new Array<number>(L).fill(0));
    const nu = levelCounts.map((L) => new Array<number>(L).fill(0));
    for (let p = 0; p < P; p++) {
      const base = p * F;
      const c = counts[p];
      const w = post[p];
      for (let f = 0; f < F; f++) {
        const l = patterns[base + f];
        if (l < 0) continue;
        nm[f][l] += c * w;
        nu[f][l] += c * (1 - w);
      }
    }
    let delta = Math.abs(newPrior - prior);
    const mNext = nm.map((row, f) => capLast(normalise(row, m0[f], alpha), options.maxDisagreement?.[f]));
    const uNext = options.estimateU ? nu.map((row, f) => normalise(row, u0[f], alpha)) : u;
    for (let f = 0; f < F; f++) {
      for (let l = 0; l < levelCounts[f]; l++) {
        delta = Math.max(delta, Math.abs(mNext[f][l] - m[f][l]), Math.abs(uNext[f][l] - u[f][l]));
      }
    }
    m = mNext;
    u = uNext;
    prior = newPrior;
    if (delta < tol) {
      it++;
      break;
    }
  }
  return { m, u, prior, iterations: it };
}

function normalise(row: number[], priorRow: readonly number[], alpha: number): number[] {
  let s = alpha;
  for (const x of row) s += x;
  return row.map((x, l) => (x + alpha * priorRow[l]) / s);
}

function capLast(row: number[], cap: number | undefined): number[] {
  const last = row.length - 1;
  if (cap === undefined || row[last] <= cap) return row;
  const rest = 1 - row[last];
  return row.map((x, l) => (l === last ? cap : rest > 0 ? (x / rest) * (1 - cap) : (1 - cap) / last));
}
