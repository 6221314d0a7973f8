// Scratch buffers reused across calls: the scorer runs tens of millions of comparisons and must not
// allocate per pair. Inputs are clipped to MAX_LEN so the buffers always fit.
const MAX_LEN = 256;
const flagsA = new Uint8Array(MAX_LEN);
const flagsB = new Uint8Array(MAX_LEN);
let rowPrev2 = new Int32Array(MAX_LEN + 1);
let rowPrev = new Int32Array(MAX_LEN + 1);
let rowCur = new Int32Array(MAX_LEN + 1);

const histogram = new Int32Array(128);
const counts = new Int32Array(128);

/**
 * Upper bound of Jaro-Winkler from shared character counts and the common prefix: cheap, and enough to
 * reject most pairs of unrelated values before the quadratic part. Jaro is at most (c/la + c/lb + 1)/3
 * with c the characters the two share (as multisets); Jaro-Winkler adds p × 0.1 × (1 - jaro) for a common
 * prefix of p ≤ 4 characters, and grows with jaro, so the bound takes the pair's actual prefix (it used to
 * take 4: unrelated values with no common prefix then passed up to 0.4 × (1 - jaro) above their bound).
 */
function jaroWinklerBound(a: string, b: string, la: number, lb: number): number {
  for (let i = 0; i < la; i++) {
    const c = a.charCodeAt(i);
    if (c >= 128) {
      // Leave the histogram clear (it used to keep the counts of the characters before this one).
      for (let k = 0; k < i; k++) histogram[a.charCodeAt(k)] = 0;
      return 1;
    }
    histogram[c]++;
  }
  let common = 0;
  for (let i = 0; i < lb; i++) {
    const c = b.charCodeAt(i);
    if (c >= 128) {
      common = Math.min(la, lb);
      break;
    }
    if (histogram[c] > 0) {
      histogram[c]--;
      common++;
    }
  }
  for (let i = 0; i < la; i++) {
    const c = a.charCodeAt(i);
    if (c < 128) histogram[c] = 0;
  }
  if (common === 0) return 0;
  const j = (common / la + common / lb + 1) / 3;
  let p = 0;
  const max = Math.min(4, a.length, b.length);
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return j + p * 0.1 * (1 - j);
}

/** Jaro similarity in [0, 1]; 1 for two equal strings, 0 when either is empty. */
export function jaro(a: string, b: string): number {
  if (a === b) return a.length ? 1 : 0;
  let la = a.length;
  let lb = b.length;
  if (la === 0 || lb === 0) return 0;
  if (la > MAX_LEN) la = MAX_LEN;
  if (lb > MAX_LEN) lb = MAX_LEN;
  return jaroCore(a, b, la, lb);
}

function jaroCore(a: string, b: string, la: number, lb: number): number {
  const window = Math.max(0, (Math.max(la, lb) >> 1) - 1);
  flagsA.fill(0, 0, la);
  flagsB.fill(0, 0, lb);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const lo = i > window ? i - window : 0;
    const hi = i + window + 1 < lb ? i + window + 1 : lb;
    const c = a.charCodeAt(i);
    for (let j = lo; j < hi; j++) {
      if (flagsB[j] === 0 && b.charCodeAt(j) === c) {
        flagsA[i] = 1;
        flagsB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let t = 0;
  let k = 0;
  for (let i = 0; i < la; i++) {
    if (flagsA[i] === 0) continue;
    while (flagsB[k] === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) t++;
    k++;
  }
  const m = matches;
  return (m / la + m / lb + (m - t / 2) / m) / 3;
}

/**
 * Jaro-Winkler similarity (prefix scale 0.1, prefix up to 4). With `floor`, any result below it may be
 * reported as 0: callers that only compare against thresholds ≥ floor skip the expensive part.
 */
export function jaroWinkler(a: string, b: string, floor = 0): number {
  if (a === b) return a.length ? 1 : 0;
  if (floor > 0) {
    const la = Math.min(a.length, MAX_LEN);
    const lb = Math.min(b.length, MAX_LEN);
    // The margin keeps a pair whose bound and score round differently exactly at the floor.
    if (la === 0 || lb === 0 || jaroWinklerBound(a, b, la, lb) < floor - 1e-9) return 0;
  }
  const j = jaro(a, b);
  if (j <= 0.7) return j;
  let p = 0;
  const max = Math.min(4, a.length, b.length);
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return j + p * 0.1 * (1 - j);
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition), or `max + 1` as soon as it
 * is known to exceed `max`. Only the diagonal band |i - j| ≤ max is computed, so typo checks on long
 * strings cost O(length × max).
 */
export function editDistance(a: string, b: string, max = 2): number {
  if (a === b) return 0;
  if (max === 1) return withinOneEdit(a, b) ? 1 : 2;
  let la = a.length;
  let lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (la > MAX_LEN) la = MAX_LEN;
  if (lb > MAX_LEN) lb = MAX_LEN;
  if (la === 0) return lb;
  if (lb === 0) return la;
  // Common prefix and suffix never change the distance.
  let p = 0;
  while (p < la && p < lb && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let q = 0;
  while (q < la - p && q < lb - p && a.charCodeAt(la - 1 - q) === b.charCodeAt(lb - 1 - q)) q++;
  if (p > 0 && (p < la - q || p < lb - q)) p--; // keep one char of context for a transposition at the seam
  // An insertion or deletion changes the two strings' character counts by 1 between them, a substitution by
  // at most 2, a transposition by 0: counts further apart than 2 × max cannot be within max edits. Most
  // pairs of unrelated values (emails, dates) stop here, before the substrings and the rows.
  if (countsApart(a, p, la - q, b, p, lb - q, 2 * max)) return max + 1;
  const A = a.substring(p, la - q);
  const B = b.substring(p, lb - q);
  la = A.length;
  lb = B.length;
  if (la === 0) return lb <= max ? lb : max + 1;
  if (lb === 0) return la <= max ? la : max + 1;
  const BIG = max + 1;
  for (let j = 0; j <= lb; j++) {
    rowPrev[j] = j <= max ? j : BIG;
    rowPrev2[j] = BIG;
  }
  for (let i = 1; i <= la; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(lb, i + max);
    rowCur[0] = i <= max ? i : BIG;
    if (lo > 1) rowCur[lo - 1] = BIG;
    let best = rowCur[0];
    const ca = A.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const cb = B.charCodeAt(j - 1);
      let v = rowPrev[j - 1] + (ca === cb ? 0 : 1);
      const del = rowPrev[j] + 1;
      if (del < v) v = del;
      const ins = rowCur[j - 1] + 1;
      if (ins < v) v = ins;
      if (i > 1 && j > 1 && ca === B.charCodeAt(j - 2) && A.charCodeAt(i - 2) === cb) {
        const tr = rowPrev2[j - 2] + 1;
        if (tr < v) v = tr;
      }
      if (v > BIG) v = BIG;
      rowCur[j] = v;
      if (v < best) best = v;
    }
    if (hi < lb) rowCur[hi + 1] = BIG;
    if (best > max) return BIG;
    const t = rowPrev2;
    rowPrev2 = rowPrev;
    rowPrev = rowCur;
    rowCur = t;
  }
  const d = rowPrev[lb];
  return d > max ? BIG : d;
}

/**
 * Whether the character counts of a[aFrom, aTo) and b[bFrom, bTo) differ by more than `limit` in total
 * (L1 distance of the two histograms). Non-ASCII text is not counted (false: the caller computes).
 */
function countsApart(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number, limit: number): boolean {
  let ascii = true;
  for (let i = aFrom; i < aTo; i++) {
    const c = a.charCodeAt(i);
    if (c >= 128) {
      ascii = false;
      break;
    }
    counts[c]++;
  }
  let apart = 0;
  if (ascii) {
    for (let i = bFrom; i < bTo; i++) {
      const c = b.charCodeAt(i);
      if (c >= 128) {
        ascii = false;
        break;
      }
      counts[c]--;
    }
  }
  if (ascii) {
    for (let i = aFrom; i < aTo; i++) {
      const c = a.charCodeAt(i);
      const h = counts[c];
      apart += h < 0 ? -h : h;
      counts[c] = 0;
    }
    for (let i = bFrom; i < bTo; i++) {
      const c = b.charCodeAt(i);
      const h = counts[c];
      apart += h < 0 ? -h : h;
      counts[c] = 0;
    }
    return apart > limit;
  }
  // Leave the histogram clear.
  for (let i = aFrom; i < aTo; i++) {
    const c = a.charCodeAt(i);
    if (c < 128) counts[c] = 0;
  }
  for (let i = bFrom; i < bTo; i++) {
    const c = b.charCodeAt(i);
    if (c < 128) counts[c] = 0;
  }
  return false;
}

/** True when a and b differ by at most one insertion, deletion, substitution or adjacent transposition. */
function withinOneEdit(a: string, b: string): boolean {
  const la = a.length;
  const lb = b.length;
  if (la - lb > 1 || lb - la > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (la === lb) {
    if (i === la) return true;
    // substitution at i, or transposition of i and i+1
    if (sameFrom(a, i + 1, b, i + 1)) return true;
    return i + 1 < la && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i) && sameFrom(a, i + 2, b, i + 2);
  }
  return la > lb ? sameFrom(a, i + 1, b, i) : sameFrom(a, i, b, i + 1);
}

/** a.substring(aFrom) === b.substring(bFrom), without making the substrings (this runs for most pairs scored). */
function sameFrom(a: string, aFrom: number, b: string, bFrom: number): boolean {
  if (a.length - aFrom !== b.length - bFrom) return false;
  for (let i = aFrom, j = bFrom; i < a.length; i++, j++) if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
  return true;
}
