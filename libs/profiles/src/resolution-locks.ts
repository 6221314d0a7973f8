import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** A 64-bit advisory lock id for a string key (identical in every instance). */
export function lockId(key: string): bigint {
  return createHash('sha1').update(key, 'utf8').digest().readBigInt64BE(0);
}

/** The advisory lock every transaction that changes profiles holds: `tandem:resolution`. */
export const RESOLUTION_LOCK = lockId('tandem:resolution');

/**
 * Takes the resolution lock for the rest of the caller's transaction (released at commit or rollback).
 * Every writer of profiles (the streaming resolver, stewardship, rebuild, erasure) takes it as its
 * transaction's first statement, before any row lock, so writers queue on it instead of deadlocking
 * on each other's rows, and each sees everything the one before it committed.
 *
 * One lock rather than one per identifier and blocking key: a transaction resolves thousands of
 * records at once, which would take tens of thousands of key locks (more than PostgreSQL's shared
 * lock table holds) and touch most of any striped lock set anyway. Instances still work in parallel
 * on consuming, validating and normalizing; on a 2-core machine the database writes are the limit.
 * Taking it again in the same transaction is harmless.
 */
export async function lockResolution(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock($1::bigint)`, [String(RESOLUTION_LOCK)]);
}
