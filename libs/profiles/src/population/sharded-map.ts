/** Shards per map: a million entries make 64 maps of about 16,000. */
const SHARDS = 64;

/**
 * A string-keyed map of millions of entries kept as 64 smaller Maps, chosen by a few characters of the
 * key. A V8 Map doubles its table when it fills, rehashing every entry in one call: at 2^20 entries one
 * `set` took about 0.6 s on the development machine (a fresh 64 MB table, faulted in page by page), which
 * the resolver paid in the middle of consuming as its population crossed a million records (see
 * apps/identity/README.md, Session 7). Sharded, each doubling rehashes a 64th. Keys are spread by their
 * length and four characters (the last, and at a quarter, half and three quarters of the key), enough
 * for uuids, `source NUL record id` and identifier texts. No iteration: only what the population needs.
 */
export class ShardedMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)].get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)].has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shards[shardOf(key)];
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    const deleted = this.shards[shardOf(key)].delete(key);
    if (deleted) this.count--;
    return deleted;
  }
}

function shardOf(key: string): number {
  const n = key.length;
  if (n === 0) return 0;
  let h = Math.imul(n, 0x9e3779b1) ^ key.charCodeAt(n - 1);
  h = Math.imul(h, 31) ^ key.charCodeAt(n >> 1);
  h = Math.imul(h, 31) ^ key.charCodeAt(n >> 2);
  h = Math.imul(h, 31) ^ key.charCodeAt((3 * n) >> 2);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & (SHARDS - 1);
}
