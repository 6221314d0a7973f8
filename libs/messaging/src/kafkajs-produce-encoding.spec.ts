/* eslint-disable @typescript-eslint/no-require-imports */
import { groupedLinearlyByKafkajs } from './kafkajs-produce-encoding';
import { javaCompatiblePartitioner } from './partitioner';

// kafkajs's own grouping of a request's messages by partition (the quadratic one).
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition');

const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

function groups(messages: { key: string | null; value: string; partition?: number }[]) {
  return groupMessagesPerPartition({ topic: 'events', partitionMetadata, messages, partitioner: javaCompatiblePartitioner() });
}

describe('groupedLinearlyByKafkajs', () => {
  it('should make kafkajs group messages into the same partitions, in the same order, as with a plain array', () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: i % 7 === 0 ? null : `erp:${i % 113}`, value: `v${i}`, ...(i % 50 === 1 ? { partition: 4 } : {}) }));
    // Keyless messages go round-robin: the same counter start for both, so compare with keys only there.
    const keyed = messages.filter((m) => m.key !== null);
    const plain = groups(keyed);
    const linear = groups(groupedLinearlyByKafkajs([...keyed]));
    expect(Object.keys(linear)).toEqual(Object.keys(plain));
    for (const partition of Object.keys(plain)) expect(linear[partition].map((m: { value: string }) => m.value)).toEqual(plain[partition].map((m: { value: string }) => m.value));
    const all = groups(groupedLinearlyByKafkajs([...messages]));
    expect(Object.values(all).flat()).toHaveLength(messages.length);
  });

  it('should leave every other reduce of the array as Array does', () => {
    const messages = groupedLinearlyByKafkajs([{ key: 'a', value: '1' }, { key: 'b', value: '22' }]);
    expect(messages.reduce((length, m) => length + m.value.length, 0)).toBe(3);
    expect(messages.reduce((acc, m) => ({ ...acc, [m.key]: m.value }), { seed: 'x' })).toEqual({ seed: 'x', a: '1', b: '22' });
  });
});
