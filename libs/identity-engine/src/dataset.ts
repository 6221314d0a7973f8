import type { FieldSpec } from './types';
import { ValueNormalizer, type NormalizationOptions } from './normalize/record';

/**
 * Columnar, interned form of a batch of records: per field, an integer code per record (-1 = missing)
 * into a dictionary of distinct normalized values with their counts. Comparisons of equal values become
 * integer equality, and per-value work (TF weights, blocking transforms) runs once per distinct value.
 */
export interface Dataset {
  schema: readonly FieldSpec[];
  size: number;
  ids: string[];
  /** Source index per record (index into sourceNames). */
  sources: Int32Array;
  sourceNames: string[];
  codes: Int32Array[];
  dictionaries: string[][];
  counts: Int32Array[];
}

const RAW_CACHE_LIMIT = 300_000;
// Kinds whose raw values repeat a lot (names, places, dates): caching raw → code skips normalizing
// them again. Near-unique kinds (emails, streets) would only fill the cache.
const CACHED_KINDS = new Set(['givenName', 'familyName', 'birthDate', 'city', 'region', 'country', 'gender', 'postcode', 'houseNumber']);

/**
 * Accumulates records one at a time (so a caller can stream a file through it without holding raw
 * strings), normalizing and interning each value. `build()` orders records by (source, id) so that every
 * later stage sees the same order whatever order records arrived in.
 */
export class DatasetBuilder {
  private readonly normalizer: ValueNormalizer;
  private readonly ids: string[] = [];
  private sources = new Int32Array(1024);
  private codes: Int32Array[];
  private readonly dictionaries: string[][];
  private readonly index: Map<string, number>[];
  private readonly counts: number[][];
  private readonly rawCache: (Map<string, number> | null)[];
  private readonly sourceIndex = new Map<string, number>();
  private readonly sourceNames: string[] = [];

  constructor(
    readonly schema: readonly FieldSpec[],
    normalization: NormalizationOptions = {},
  ) {
    this.normalizer = new ValueNormalizer(normalization);
    this.codes = schema.map(() => new Int32Array(1024));
    this.dictionaries = schema.map(() => []);
    this.index = schema.map(() => new Map());
    this.counts = schema.map(() => []);
    this.rawCache = schema.map((f) => (CACHED_KINDS.has(f.kind) ? new Map() : null));
  }

  get size(): number {
    return this.ids.length;
  }

  /** Adds a record: raw values in schema order. */
  add(id: string, source: string, raw: ReadonlyArray<string | null | undefined>): void {
    const i = this.ids.length;
    if (i === this.sources.length) this.grow();
    this.ids.push(id);
    let s = this.sourceIndex.get(source);
    if (s === undefined) {
      s = this.sourceNames.length;
      this.sourceIndex.set(source, s);
      this.sourceNames.push(source);
    }
    this.sources[i] = s;
    for (let f = 0; f < this.schema.length; f++) {
      const r = raw[f];
      let code = -1;
      if (r !== null && r !== undefined && r.length > 0) {
        const cache = this.rawCache[f];
        const hit = cache ? cache.get(r) : undefined;
        if (hit !== undefined) code = hit;
        else {
          const v = this.normalizer.normalize(this.schema[f].kind, r);
          if (v !== null) {
            const idx = this.index[f];
            let c = idx.get(v);
            if (c === undefined) {
              c = this.dictionaries[f].length;
              idx.set(v, c);
              this.dictionaries[f].push(v);
              this.counts[f].push(0);
            }
            code = c;
          }
          if (cache) {
            if (cache.size >= RAW_CACHE_LIMIT) cache.clear();
            cache.set(r, code);
          }
        }
      }
      this.codes[f][i] = code;
      if (code >= 0) this.counts[f][code]++;
    }
  }

  private grow(): void {
    const cap = this.sources.length * 2;
    const s = new Int32Array(cap);
    s.set(this.sources);
    this.sources = s;
    this.codes = this.codes.map((c) => {
      const n = new Int32Array(cap);
      n.set(c);
      return n;
    });
  }

  build(): Dataset {
    const n = this.ids.length;
    // Source names are ordered too, so source indices do not depend on arrival order.
    const sortedSources = [...this.sourceNames].sort();
    const remap = new Int32Array(this.sourceNames.length);
    this.sourceNames.forEach((name, i) => (remap[i] = sortedSources.indexOf(name)));
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const ids = this.ids;
    const src = this.sources;
    order.sort((x, y) => remap[src[x]] - remap[src[y]] || (ids[x] < ids[y] ? -1 : ids[x] > ids[y] ? 1 : 0));
    const sources = new Int32Array(n);
    const outIds = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      sources[k] = remap[src[order[k]]];
      outIds[k] = ids[order[k]];
    }
    const codes = this.codes.map((c) => {
      const out = new Int32Array(n);
      for (let k = 0; k < n; k++) out[k] = c[order[k]];
      return out;
    });
    this.rawCache.forEach((c) => c?.clear());
    return {
      schema: this.schema,
      size: n,
      ids: outIds,
      sources,
      sourceNames: sortedSources,
      codes,
      dictionaries: this.dictionaries,
      counts: this.counts.map((c) => Int32Array.from(c)),
    };
  }
}
