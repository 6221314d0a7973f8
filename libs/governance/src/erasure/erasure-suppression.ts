import { createHmac } from 'node:crypto';

/** Anything with `query(sql, params)`: a DataSource, an EntityManager, a QueryRunner, a pg client. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** What re-ingestion is checked against: the record's key and its normalized identifiers. */
export interface SuppressionSubject {
  source: string;
  sourceRecordId: string;
  /** Identifiers normalized exactly as the resolver stores them (email, E.164 phone, …). */
  identifiers: ReadonlyArray<{ type: string; value: string }>;
}

/**
 * Whether an identifier's hash is kept after an erasure. Types are as the resolver stores them
 * (`email`, `phone`, or `<source>:<type>`); anonymous ids (a browser cookie) identify a device, not a
 * person, and are not kept.
 */
export function isSuppressibleIdentifier(type: string): boolean {
  return !type.endsWith('anonymousId');
}

/** Keyed hash of one thing that identified an erased person. */
export function erasureKey(salt: Buffer, kind: string, value: string): Buffer {
  return createHmac('sha256', salt).update(`${kind}\u0000${value}`).digest();
}

/** Every key of a subject: its source record, and each identifier worth remembering. */
export function erasureKeys(salt: Buffer, subject: SuppressionSubject): Array<{ kind: string; key: Buffer }> {
  const keys = [{ kind: 'source-record', key: erasureKey(salt, 'source-record', `${subject.source}\u0000${subject.sourceRecordId}`) }];
  for (const identifier of subject.identifiers) {
    if (isSuppressibleIdentifier(identifier.type)) keys.push({ kind: identifier.type, key: erasureKey(salt, identifier.type, identifier.value) });
  }
  return keys;
}

/**
 * True when the record, or any of its identifiers, belongs to a person who was erased. The resolver
 * calls this before storing an event, inside its transaction, and drops the event when it is true:
 * this is what stops a re-sync or a replay from resurrecting an erased person.
 * Get the salt once with `databaseSecret(dataSource, SECRET_NAMES.erasureSalt)`.
 */
export async function isErased(db: Queryable, salt: Buffer, subject: SuppressionSubject): Promise<boolean> {
  const keys = erasureKeys(salt, subject).map((k) => k.key);
  const rows = (await db.query(`SELECT 1 FROM erasure_suppressions WHERE key_hash = ANY($1::bytea[]) LIMIT 1`, [keys])) as unknown[];
  return rows.length > 0;
}

/** Batch form of {@link isErased}: the indexes of the subjects that are suppressed. */
export async function erasedSubjects(db: Queryable, salt: Buffer, subjects: readonly SuppressionSubject[]): Promise<Set<number>> {
  const owner = new Map<string, number[]>();
  subjects.forEach((subject, index) => {
    for (const { key } of erasureKeys(salt, subject)) {
      const hex = key.toString('hex');
      owner.set(hex, [...(owner.get(hex) ?? []), index]);
    }
  });
  if (owner.size === 0) return new Set();
  const keys = [...owner.keys()].map((hex) => Buffer.from(hex, 'hex'));
  const rows = (await db.query(`SELECT key_hash FROM erasure_suppressions WHERE key_hash = ANY($1::bytea[])`, [keys])) as Array<{ key_hash: Buffer }>;
  const hit = new Set<number>();
  for (const row of rows) for (const index of owner.get(row.key_hash.toString('hex')) ?? []) hit.add(index);
  return hit;
}

/** Remembers the keys of an erased person (idempotent). */
export async function suppressErased(db: Queryable, salt: Buffer, requestId: string, subjects: readonly SuppressionSubject[]): Promise<number> {
  const keys = new Map<string, string>();
  for (const subject of subjects) for (const { kind, key } of erasureKeys(salt, subject)) keys.set(key.toString('hex'), kind);
  if (keys.size === 0) return 0;
  await db.query(
    `INSERT INTO erasure_suppressions (key_hash, kind, request_id)
     SELECT decode(h, 'hex'), k, $3::uuid FROM unnest($1::text[], $2::text[]) AS t(h, k)
     ON CONFLICT (key_hash) DO NOTHING`,
    [[...keys.keys()], [...keys.values()], requestId],
  );
  return keys.size;
}
