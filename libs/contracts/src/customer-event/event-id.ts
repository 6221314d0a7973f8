import { createHash } from 'node:crypto';

// Fixed namespace for Tandem's name-based (v5) event ids; changing it would change every id.
const EVENT_NAMESPACE = Buffer.from('6f1d9a1e3b2c4d5e8f7a0b1c2d3e4f50', 'hex');

/**
 * The id of the event that carries one version of one source record. Deterministic, so a record
 * pulled twice (a resync, a retried page) is the same event and downstream deduplicates it.
 * `discriminator` separates events that share a record version (an order line vs. the customer).
 */
export function customerEventId(source: string, sourceRecordId: string, recordVersion: number, discriminator = ''): string {
  return uuidV5(`${source}\u0000${sourceRecordId}\u0000${recordVersion}\u0000${discriminator}`);
}

/** RFC 4122 name-based UUID (SHA-1). */
export function uuidV5(name: string, namespace: Buffer = EVENT_NAMESPACE): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Kafka message key: everything about one source record stays in order on one partition. */
export function customerEventKey(source: string, sourceRecordId: string): string {
  return `${source}:${sourceRecordId}`;
}
