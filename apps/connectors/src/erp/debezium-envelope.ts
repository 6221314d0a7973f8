import { KafkaMessage } from 'kafkajs';

/**
 * Debezium's change-event envelope as the JSON converter writes it with `schemas.enable=false`
 * (the payload alone): `before`/`after` row images, `source` metadata, `op` and `ts_ms`.
 */
export interface DebeziumEnvelope<Row = Record<string, unknown>> {
  before: Row | null;
  after: Row | null;
  source: DebeziumSource;
  /** c = insert, u = update, d = delete, r = snapshot read, t = truncate. */
  op: DebeziumOp;
  /** When the connector processed the change (ms). */
  ts_ms: number;
}

export interface DebeziumSource {
  connector?: string;
  name?: string;
  db?: string;
  schema?: string;
  table: string;
  /** Commit time of the transaction in the database (ms). */
  ts_ms: number;
  /** PostgreSQL log sequence number of the change: increases with every change. */
  lsn: number;
  txId?: number;
  snapshot?: string | boolean;
}

export const DEBEZIUM_OPS = ['c', 'u', 'd', 'r', 't'] as const;
export type DebeziumOp = (typeof DEBEZIUM_OPS)[number];

/** A change message, or the tombstone Debezium writes after a delete (value null). */
export type DebeziumMessage = { kind: 'change'; envelope: DebeziumEnvelope } | { kind: 'tombstone' };

export type EnvelopeResult = { ok: true; value: DebeziumMessage } | { ok: false; errors: string[] };

/**
 * Reads one Kafka message of a Debezium topic. A tombstone is valid (nothing to do); anything that
 * is not a well-formed envelope is an error for the dead letters, never thrown.
 */
export function decodeDebeziumMessage(message: Pick<KafkaMessage, 'value'>): EnvelopeResult {
  if (message.value === null || message.value.length === 0) return { ok: true, value: { kind: 'tombstone' } };
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { ok: false, errors: ['message is not valid JSON'] };
  }
  if (!isObject(json)) return { ok: false, errors: ['message is not a JSON object'] };
  // A converter with schemas.enable=true wraps the envelope in {schema, payload}: accept both.
  const envelope = isObject(json.payload) && 'schema' in json ? json.payload : json;
  const errors: string[] = [];
  if (!DEBEZIUM_OPS.includes(envelope.op as DebeziumOp)) errors.push(`op must be one of ${DEBEZIUM_OPS.join(', ')}`);
  if (!isObject(envelope.source)) errors.push('source must be an object');
  else {
    if (typeof envelope.source.table !== 'string') errors.push('source.table must be a string');
    if (!isNonNegativeInteger(envelope.source.lsn)) errors.push('source.lsn must be a non-negative integer');
    if (!isNonNegativeInteger(envelope.source.ts_ms)) errors.push('source.ts_ms must be a non-negative integer');
  }
  if (!isNonNegativeInteger(envelope.ts_ms)) errors.push('ts_ms must be a non-negative integer');
  if (envelope.before !== null && envelope.before !== undefined && !isObject(envelope.before)) errors.push('before must be an object or null');
  if (envelope.after !== null && envelope.after !== undefined && !isObject(envelope.after)) errors.push('after must be an object or null');
  const op = envelope.op as DebeziumOp;
  if ((op === 'c' || op === 'u' || op === 'r') && !isObject(envelope.after)) errors.push(`op ${op} needs an after image`);
  if (op === 'd' && !isObject(envelope.before)) errors.push('op d needs a before image (REPLICA IDENTITY FULL or a key)');
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      kind: 'change',
      envelope: { before: (envelope.before as Record<string, unknown>) ?? null, after: (envelope.after as Record<string, unknown>) ?? null, source: envelope.source as unknown as DebeziumSource, op, ts_ms: envelope.ts_ms as number },
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
