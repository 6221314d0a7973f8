// Scratch buffers reused across calls: the scorer runs tens of millions of comparisons and must not
// allocate per pair. Inputs are clipped to MAX_LEN so the buffers always fit.
const MAX_LEN = 256;
const flagsA = new Uint8Array(MAX_LEN);
const flagsB = new Uint8Array(MAX_LEN);
let rowPrev2 = new Int32Array(MAX_LEN + 1);
let rowPrev = new Int32Array(MAX_LEN + 1);
let rowCur = new Int32Array(MAX_LEN + 1);

/** Jaro similarity in [0, 1]; 1 for two equal strings, 0 when either is empty. */
export function jaro(a: string, b: string): number {
  if (a === b) return a.length ? 1 : 0;
  let la = a.length;
  let lb = b.length;
  if (la === 0 || lb === 0) return 0;
  if (la > MAX_LEN) la = MAX_LEN;
  if (lb > MAX_LEN) lb = MAX_LEN;
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

/** Jaro-Winkler similarity (prefix scale 0.1, prefix up to 4). */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b);
  if (j <= 0.7) return j;
  let p = 0;
  const max = Math.min(4, a.length, b.length);
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return j + p * 0.1 * (1 - j);
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition), or `max + 1` as soon as it
 * is known to exceed `max`. Bounded so typo checks on long strings stay cheap.
 */
export function editDistance(a: string, b: string, max = 2): number {
  if (a === b) return 0;
  let la = a.length;
  let lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (la > MAX_LEN) la = MAX_LEN;
  if (lb > MAX_LEN) lb = MAX_LEN;
  if (la === 0) return lb;
  if (lb === 0) return la;
  for (let j = 0; j <= lb; j++) rowPrev[j] = j;
  for (let i = 1; i <= la; i++) {
    rowCur[0] = i;
    let best = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      let v = rowPrev[j - 1] + (ca === cb ? 0 : 1);
      const del = rowPrev[j] + 1;
      if (del < v) v = del;
      const ins = rowCur[j - 1] + 1;
      if (ins < v) v = ins;
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        const tr = rowPrev2[j - 2] + 1;
        if (tr < v) v = tr;
      }
      rowCur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    const t = rowPrev2;
    rowPrev2 = rowPrev;
    rowPrev = rowCur;
    rowCur = t;
  }
  const d = rowPrev[lb];
  return d > max ? max + 1 : d;
}
