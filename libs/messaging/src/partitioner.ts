import { randomBytes } from 'node:crypto';
import { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

/**
 * Kafka's default partitioning (Java client, kafkajs `Partitioners.DefaultPartitioner`): a message
 * with a key goes to `murmur2(key) & 0x7fffffff % partitions`, one with a partition keeps it, one
 * with neither goes round-robin over the partitions that have a leader. Same partitions as
 * kafkajs's own, at a fraction of its cost: kafkajs hashes with 64-bit Long objects and filters
 * the partition list for every message, which took about a tenth of a producer's CPU time.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) return (murmur2(message.key) & 0x7fffffff) % partitions;
    const counter = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[(counter & 0x7fffffff) % available.length].partitionId;
    return (counter & 0x7fffffff) % partitions;
  };
};

const M = 0x5bd1e995;
const encoder = new TextEncoder();
// Reused for every string key: hashing a key allocates nothing.
let scratch = new Uint8Array(1024);

/** Kafka's murmur2 (32 bit, seed 0x9747b28c) of a key's UTF-8 bytes, as a signed 32-bit integer. */
export function murmur2(key: string | Uint8Array): number {
  let data: Uint8Array;
  let length: number;
  if (typeof key === 'string') {
    if (scratch.length < key.length * 3) scratch = new Uint8Array(key.length * 3);
    data = scratch;
    length = encoder.encodeInto(key, scratch).written;
  } else {
    data = key;
    length = key.length;
  }
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
