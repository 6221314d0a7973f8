import type { Queryable } from '../erasure/erasure-suppression';

/** One read (or change) of personal data: who, why, whose, which fields. No values, ever. */
export interface AuditEntry {
  clientId: string | null;
  clientName: string | null;
  action: string;
  purpose?: string | null;
  profileId?: string | null;
  /** For reads that touch many people at once (an audience): every profile id. */
  profileIds?: string[] | null;
  fields?: string[];
  correlationId?: string | null;
  detail?: Record<string, unknown> | null;
}

/** A pg pool or client: takes a named (prepared) statement. */
export interface PreparedQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
}

/** One statement for a whole batch: arrays per column, unnested server-side; list columns as array literals. */
const INSERT_SQL = `INSERT INTO audit_log (client_id, client_name, action, purpose, profile_id, profile_ids, fields, correlation_id, detail)
  SELECT client_id, client_name, action, purpose, profile_id, profile_ids::uuid[], fields::text[], correlation_id, detail
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
      AS t(client_id, client_name, action, purpose, profile_id, profile_ids, fields, correlation_id, detail)`;

/**
 * Writes audit entries with group commit: callers await `record`, which resolves once their entry
 * is committed. Entries that arrive while inserts are in flight go together in the next one, so at
 * thousands of reads per second there are a few hundred inserts per second, each of many rows,
 * and no read is answered before its audit entry is durable.
 */
export class AuditWriter {
  private queue: Array<{ entry: AuditEntry; done: () => void; failed: (error: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly insertBatch: (values: unknown[]) => Promise<unknown>;

  /**
   * @param db a DataSource, or a pg pool (`prepared`: the insert is parsed and planned once per
   *   connection, not once per batch, which at a few hundred batches a second is most of its cost)
   * @param maxBatch entries in one insert at most
   * @param maxInFlight inserts running at once. One is classic group commit and measured best
   *   (about twice the lookups per second of four): fewer, larger inserts cost less CPU and fewer
   *   WAL flushes than more, smaller ones.
   */
  constructor(db: Queryable, options?: { maxBatch?: number; maxInFlight?: number });
  constructor(db: PreparedQueryable, options: { prepared: true; maxBatch?: number; maxInFlight?: number });
  constructor(
    db: Queryable | PreparedQueryable,
    private readonly options: { prepared?: boolean; maxBatch?: number; maxInFlight?: number } = {},
  ) {
    this.insertBatch = options.prepared
      ? (values) => (db as PreparedQueryable).query({ name: 'tandem-audit-insert', text: INSERT_SQL, values })
      : (values) => (db as Queryable).query(INSERT_SQL, values);
  }

  record(entry: AuditEntry): Promise<void> {
    return new Promise((done, failed) => {
      this.queue.push({ entry, done, failed });
      this.schedule();
    });
  }

  /**
   * The insert leaves at the end of this turn of the event loop, not with the first entry: the reads
   * answered by one batch query all record their entries in the same turn, and go in one insert
   * (the first of them used to go alone and the rest wait for the next insert).
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= (this.options.maxInFlight ?? 1)) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const maxInFlight = this.options.maxInFlight ?? 1;
    while (this.inFlight < maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 1000);
      this.inFlight++;
      this.insert(batch.map((item) => item.entry)).then(
        () => {
          for (const item of batch) item.done();
        },
        (error: unknown) => {
          // One entry PostgreSQL refuses (bad data, class 22) must not fail its neighbours: each is tried alone.
          if (batch.length > 1 && /^22/.test(String((error as { code?: unknown })?.code))) return this.oneByOne(batch);
          for (const item of batch) item.failed(error);
        },
      ).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async oneByOne(batch: AuditWriter['queue']): Promise<void> {
    for (const item of batch) await this.insert([item.entry]).then(item.done, item.failed);
  }

  private async insert(entries: AuditEntry[]): Promise<void> {
    await this.insertBatch([
      entries.map((e) => e.clientId),
      entries.map((e) => e.clientName),
      entries.map((e) => e.action),
      entries.map((e) => e.purpose ?? null),
      entries.map((e) => e.profileId ?? null),
      entries.map((e) => (e.profileIds ? arrayLiteral(e.profileIds) : null)),
      entries.map((e) => arrayLiteral(e.fields ?? [])),
      entries.map((e) => e.correlationId ?? null),
      entries.map((e) => (e.detail ? detailText(e.detail) : null)),
    ]);
  }
}

/** Details as JSON text, written once per object: a reader's details are one shared object per policy. */
const detailTexts = new WeakMap<object, string>();

function detailText(detail: Record<string, unknown>): string {
  let text = detailTexts.get(detail);
  if (text === undefined) detailTexts.set(detail, (text = JSON.stringify(detail, withoutNul)));
  return text;
}

/** A PostgreSQL array literal of strings: every element quoted, `"` and `\` escaped. */
function arrayLiteral(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    out += /["\\]/.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`;
  }
  return `${out}}`;
}

// jsonb cannot hold U+0000, which a caller can put in a path parameter that ends up in `detail`.
function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value;
}
