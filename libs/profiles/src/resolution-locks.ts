import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** A 64-bit advisory lock id for a string key (identical in every instance). */
export function lockId(key: string): bigint {
  return createHash('sha1').update(key, 'utf8').digest().readBigInt64BE(0);
}

/**
 * Takes transaction-scoped advisory locks on `keys`, in ascending lock-id order so two transactions
 * locking overlapping keys cannot deadlock on them. Released at commit or rollback. Each lock takes a
 * slot in PostgreSQL's shared lock table (max_locks_per_transaction × max_connections, 6,400 by
 * default), so callers bound the records per transaction (IDENTITY_RESOLVE_RECORDS, rebuild --chunk).
 */
export async function lockKeys(manager: EntityManager, keys: Iterable<string>, held: Set<number | bigint>): Promise<number> {
  const ids = [...new Set([...keys].map(lockId))].filter((id) => !held.has(id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length === 0) return 0;
  // unnest keeps array order, so the locks are taken in the sorted order.
  await manager.query(`SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS t(k)`, [ids.map(String)]);
  for (const id of ids) held.add(id);
  return ids.length;
}
