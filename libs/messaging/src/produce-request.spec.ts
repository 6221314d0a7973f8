/* eslint-disable @typescript-eslint/no-require-imports */
import { encodeProduceRequest, ProduceMessage, ProduceRequestArgs } from './produce-request';

// kafkajs's own Produce v3 request (v4 to v7 only change the version number): the reference bytes.
const kafkajsProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request');
const Long = require('kafkajs/src/utils/long');

async function kafkajsBytes(args: ProduceRequestArgs): Promise<Buffer> {
  const encoder = await kafkajsProduceV3({ ...args, compression: 0 }).encode();
  return encoder.buffer;
}

const NOW = 1_764_000_000_123;

describe('encodeProduceRequest', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  it('should write the same bytes as kafkajs for an idempotent request of events over topics and partitions', async () => {
    const event = (i: number) => JSON.stringify({ eventId: `id-${i}`, source: 'crm', attributes: { givenName: 'Zoë', city: 'Kraków' }, pad: 'x'.repeat(i * 7) });
    const args: ProduceRequestArgs = {
      acks: -1,
      timeout: 30000,
      producerId: Long.fromInt(4711),
      producerEpoch: 3,
      topicData: [
        { topic: 'tandem.ingest.customer-event.v1', partitions: [0, 3, 5].map((partition) => ({ partition, firstSequence: partition * 1000 + 17, messages: Array.from({ length: 40 + partition }, (_, i) => ({ key: `crm:${partition}-${i}`, value: event(i) })) })) },
        { topic: 'tandem.ingest.customer-event.dead-letter.v1', partitions: [{ partition: 1, firstSequence: 0, messages: [{ key: 'crm:bad', value: '{"id":"bad"}', headers: { 'x-error': 'contact has no id', 'x-attempts': '1' } }] }] },
      ],
    };
    const ours = encodeProduceRequest(args);
    expect(ours.equals(await kafkajsBytes(args))).toBe(true);
  });

  it('should write the same bytes as kafkajs for nulls, buffers, non-ASCII, header lists, timestamps and a transactional id', async () => {
    const messages: ProduceMessage[] = [
      { key: null, value: null },
      { key: Buffer.from([0, 255, 7]), value: Buffer.alloc(300, 1) },
      { key: 'ключ', value: '😀'.repeat(5000), headers: { trace: ['a', Buffer.from('b')], empty: '', 'ü': 'ö' }, timestamp: '1764000000999' },
      { key: 'k', value: 'v', timestamp: '1764000000500' },
      { key: 'k2', value: 'v'.repeat(70_000), headers: {} },
    ];
    for (const transactionalId of [null, 'tx-ü']) {
      const args: ProduceRequestArgs = { acks: 1, timeout: 5000, transactionalId, producerId: Long.fromInt(-1), producerEpoch: 0, topicData: [{ topic: 't', partitions: [{ partition: 2, firstSequence: 5, messages }] }] };
      expect(encodeProduceRequest(args).equals(await kafkajsBytes(args))).toBe(true);
    }
  });

  it('should take every message of a large request exactly once (record count, sizes and checksum agree with kafkajs)', async () => {
    const messages = Array.from({ length: 5000 }, (_, i) => ({ key: `erp:${i}`, value: JSON.stringify({ i, v: 'é'.repeat(i % 97) }) }));
    const args: ProduceRequestArgs = { acks: -1, timeout: 30000, producerId: Long.fromInt(12), producerEpoch: 0, topicData: [{ topic: 'bench', partitions: [{ partition: 0, firstSequence: 2_000_000, messages }] }] };
    const ours = encodeProduceRequest(args);
    expect(ours.length).toBeGreaterThan(5000 * 20);
    expect(ours.equals(await kafkajsBytes(args))).toBe(true);
  });
});

describe('installOnePassProduceEncoding', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  it('should make kafkajs encode Produce v3 to v7 requests in one pass, and leave compressed ones to kafkajs', async () => {
    const { installOnePassProduceEncoding } = require('./kafkajs-produce-encoding');
    const { requests } = require('kafkajs/src/protocol/requests');
    expect(installOnePassProduceEncoding()).toBe(true);
    const args = { acks: -1, timeout: 30000, producerId: Long.fromInt(1), producerEpoch: 0, topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k', value: 'v' }] }] }] };
    for (const version of [3, 5, 7]) {
      const { request } = requests.Produce.protocol({ version })({ ...args, compression: 0 });
      expect(request.apiVersion).toBe(version);
      const encoded = await request.encode();
      expect(Buffer.isBuffer(encoded.buf)).toBe(true);
      expect(encoded.buffer.equals(encodeProduceRequest(args))).toBe(true);
    }
    // GZIP (1): kafkajs's own encoder, an Encoder instance.
    const { request } = requests.Produce.protocol({ version: 7 })({ ...args, compression: 1 });
    expect((await request.encode()).constructor.name).toBe('Encoder');
  });
});
