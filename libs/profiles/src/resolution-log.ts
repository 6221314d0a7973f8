import type { EntityManager } from 'typeorm';

/** Log entries kept; an instance further behind than this reloads its population instead of catching up. */
const KEPT_ENTRIES = 2000;

/** Channel notified when profile changes were committed (the outbox relay listens). */
export const PROFILE_CHANGES_CHANNEL = 'tandem_profile_changes';

/**
 * The resolution log: one entry per committed transaction that changed what resolvers keep in memory
 * (source records stored, moved between profiles or erased; steward constraints; review items), listing
 * those records. Every writer appends under the resolution lock, so positions are gapless and in commit
 * order; a resolver instance reads the entries after its own position when it takes the lock, and so
 * sees every other writer's changes before it resolves.
 */
export async function appendResolutionLog(manager: EntityManager, recordIds: Iterable<string>): Promise<number> {
  const ids = [...new Set(recordIds)];
  const [{ seq }] = await manager.query(
    `INSERT INTO resolution_log (seq, records) SELECT COALESCE(max(seq), 0) + 1, $1::uuid[] FROM resolution_log RETURNING seq::text AS seq`,
    [ids],
  );
  const position = Number(seq);
  if (position % 100 === 0) await manager.query(`DELETE FROM resolution_log WHERE seq <= $1`, [position - KEPT_ENTRIES]);
  return position;
}

/** The newest position of the log. */
export async function resolutionLogPosition(manager: EntityManager): Promise<number> {
  const [{ seq }] = await manager.query(`SELECT COALESCE(max(seq), 0)::text AS seq FROM resolution_log`);
  return Number(seq);
}

/**
 * The records changed after `position`, or null when the log no longer reaches back that far (the
 * caller must reload everything).
 */
export async function resolutionLogSince(manager: EntityManager, position: number): Promise<{ position: number; records: string[] } | null> {
  const rows: Array<{ seq: string; records: string[] }> = await manager.query(`SELECT seq::text AS seq, records FROM resolution_log WHERE seq > $1 ORDER BY seq`, [position]);
  if (rows.length === 0) return { position, records: [] };
  if (Number(rows[0].seq) !== position + 1) return null;
  const records = new Set<string>();
  for (const row of rows) for (const id of row.records) records.add(id);
  return { position: Number(rows[rows.length - 1].seq), records: [...records] };
}
