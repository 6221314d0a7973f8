import { randomBytes } from 'node:crypto';
import { Partitioners, PartitionMetadata } from 'kafkajs';
import { javaCompatiblePartitioner, murmur2 } from './partitioner';

const metadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe('Java-compatible partitioner', () => {
  it("should put every key on the partition kafkajs's default partitioner (Kafka's Java client) chooses", () => {
    const ours = javaCompatiblePartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'crm:12345', 'erp:1000012345', 'segment:user-ÄÖü-🚀', 'ключ', randomBytes(0), randomBytes(7)];
    for (let i = 0; i < 2000; i++) keys.push(`source-${i}:${randomBytes(1 + (i % 40)).toString(i % 3 ? 'hex' : 'latin1')}`);
    for (let i = 0; i < 200; i++) keys.push(randomBytes(i % 50));
    for (const partitions of [1, 3, 6, 7, 64]) {
      const partitionMetadata = metadata(partitions);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect([key, partitions, ours(args)]).toEqual([key, partitions, theirs(args)]);
      }
    }
  });

  it('should match the reference murmur2 values of the Java client', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect([key, murmur2(key)]).toEqual([key, hash]);
    expect(murmur2(Buffer.from([97, 98, 99]))).toBe(murmur2('abc'));
  });

  it('should keep an explicit partition and spread keyless messages over the partitions that have a leader', () => {
    const partition = javaCompatiblePartitioner();
    expect(partition({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: 'v', partition: 4 } })).toBe(4);
    const chosen = new Set<number>();
    for (let i = 0; i < 60; i++) chosen.add(partition({ topic: 't', partitionMetadata: metadata(6, [1, 3]), message: { value: 'v' } }));
    expect([...chosen].sort()).toEqual([0, 2, 4, 5]);
  });
});
