import { DataSource } from 'typeorm';

export interface AuditSearch {
  profileId?: string;
  clientId?: string;
  purpose?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Entries with an id below this one (the `nextCursor` of the previous page). */
  before?: string;
  limit: number;
}

export interface AuditRecord {
  id: string;
  at: Date;
  clientId: string | null;
  clientName: string | null;
  action: string;
  purpose: string | null;
  profileId: string | null;
  profileCount: number;
  fields: string[];
  correlationId: string | null;
  detail: Record<string, unknown> | null;
}

/** Newest first, keyset-paginated. A profile matches single reads and audiences that included it. */
export async function searchAudit(db: DataSource, search: AuditSearch): Promise<{ entries: AuditRecord[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (search.profileId) add((p) => `(profile_id = ${p}::uuid OR profile_ids @> ARRAY[${p}::uuid])`, search.profileId);
  if (search.clientId) add((p) => `client_id = ${p}::uuid`, search.clientId);
  if (search.purpose) add((p) => `purpose = ${p}`, search.purpose);
  if (search.action) add((p) => `action = ${p}`, search.action);
  if (search.from) add((p) => `at >= ${p}`, search.from);
  if (search.to) add((p) => `at < ${p}`, search.to);
  if (search.before) add((p) => `id < ${p}::bigint`, search.before);
  params.push(search.limit + 1);
  const rows: Array<Record<string, unknown>> = await db.query(
    `SELECT id, at, client_id, client_name, action, purpose, profile_id, COALESCE(cardinality(profile_ids), 0) AS profile_count, fields, correlation_id, detail
     FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, search.limit);
  return {
    entries: page.map((row) => ({
      id: String(row.id),
      at: row.at as Date,
      clientId: row.client_id as string | null,
      clientName: row.client_name as string | null,
      action: row.action as string,
      purpose: row.purpose as string | null,
      profileId: row.profile_id as string | null,
      profileCount: Number(row.profile_count),
      fields: row.fields as string[],
      correlationId: row.correlation_id as string | null,
      detail: row.detail as Record<string, unknown> | null,
    })),
    nextCursor: rows.length > search.limit ? String(page[page.length - 1].id) : null,
  };
}
