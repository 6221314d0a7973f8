import { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { BatchConsumer, BatchConsumerOptions, ConsumedMessage } from './batch-consumer';
import { EventProducer } from './event-producer';

/** A kafkajs consumer double: the test calls `eachBatch` as kafkajs's fetch loop would, and sees what was resolved and committed. */
function fakeKafka() {
  let eachBatch!: (payload: EachBatchPayload) => Promise<void>;
  let running!: () => void;
  const started = new Promise<void>((resolve) => (running = resolve));
  const resolved: string[] = [];
  const committed: string[] = [];
  let failCommits = 0;
  const listeners = new Map<string, () => void>();
  const consumer = {
    events: { CRASH: 'crash', STOP: 'stop', DISCONNECT: 'disconnect' },
    on: (event: string, listener: () => void) => void listeners.set(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    disconnect: async () => listeners.get('disconnect')?.(),
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      running();
    },
  };
  // The last batch's messages, as kafkajs keeps them until the batch returns.
  let delivered: KafkaMessage[] = [];
  const batchOf = (offsets: number[], headers: KafkaMessage['headers'] = {}) =>
    ({
      batch: {
        topic: 'changes',
        partition: 0,
        messages: (delivered = offsets.map((offset) => ({ offset: String(offset), key: Buffer.from(`k${offset}`), value: Buffer.from(String(offset)), headers, timestamp: '0' }) as unknown as KafkaMessage)),
      },
      resolveOffset: (offset: string) => void resolved.push(offset),
      commitOffsetsIfNecessary: async (offsets: { topics: { partitions: { offset: string }[] }[] }) => {
        if (failCommits > 0) {
          failCommits -= 1;
          throw new Error('The coordinator is not available');
        }
        committed.push(offsets.topics[0].partitions[0].offset);
      },
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    }) as unknown as EachBatchPayload;
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    started,
    deliver: (offsets: number[], headers?: KafkaMessage['headers']) => eachBatch(batchOf(offsets, headers)),
    delivered: () => delivered,
    resolved,
    committed,
    failNextCommit: () => (failCommits += 1),
  };
}

/** A handler whose calls the test finishes one by one. */
function heldHandler() {
  const calls: { offsets: string[]; finish(): void }[] = [];
  const handle = (messages: ConsumedMessage<string>[]) => new Promise<void>((resolve) => calls.push({ offsets: messages.map((m) => m.offset), finish: resolve }));
  return { calls, handle };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function consumerWith(kafka: Kafka, options: Partial<BatchConsumerOptions<string>>) {
  const producer = { send: async () => undefined } as unknown as EventProducer;
  return new BatchConsumer<string>(kafka, producer, pino({ level: 'silent' }), {
    groupId: 'test',
    topics: ['changes'],
    deadLetterTopic: 'dead-letters',
    decode: (message) => ({ ok: true, value: message.value!.toString() }),
    handle: async () => undefined,
    ...options,
  });
}

describe('BatchConsumer', () => {
  it('should return a batch to kafkajs only after its chunk is handled and committed when overlapFetch is off', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle });
    consumer.start();
    await fake.started;
    let returned = false;
    const batch = fake.deliver([0, 1]).then(() => (returned = true));
    await settle();
    expect(returned).toBe(false);
    calls[0].finish();
    await batch;
    expect(fake.committed).toEqual(['2']);
    await consumer.stop();
  });

  it('should return a batch while its chunk is still handled, and commit its offset only once handled, when overlapFetch is on', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true });
    consumer.start();
    await fake.started;
    await fake.deliver([0, 1]);
    // kafkajs may fetch the next batch now: the fetch position is past the chunk, the commit is not.
    expect(fake.resolved).toEqual(['1']);
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1']]);
    expect(fake.committed).toEqual([]);
    calls[0].finish();
    await settle();
    expect(fake.committed).toEqual(['2']);
    await consumer.stop();
  });

  it("should let go of kafkajs's bytes of the messages it decoded while their chunks are still handled, keeping own copies of their headers", async () => {
    // A message's bytes are slices of the whole fetch response: one kept keeps the response.
    const fake = fakeKafka();
    const received: ConsumedMessage<string>[] = [];
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, {
      chunkSize: 2,
      handAhead: 4,
      handle: (messages) => {
        received.push(...messages);
        return handle(messages);
      },
      decode: (message) => (message.value!.toString() === '3' ? { ok: false, errors: ['three is invalid'] } : { ok: true, value: message.value!.toString() }),
    });
    consumer.start();
    await fake.started;
    const response = Buffer.alloc(64 * 1024); // a buffer of its own, as a fetch response is (not from Node's pool)
    response.write('trace-1 and the rest of the fetch response');
    await fake.deliver([0, 1, 2, 3], { 'x-correlation-id': response.subarray(0, 7) });
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1'], ['2']]);
    expect(received.map((m) => [m.value, m.key, m.headers['x-correlation-id']?.toString()])).toEqual([
      ['0', 'k0', 'trace-1'],
      ['1', 'k1', 'trace-1'],
      ['2', 'k2', 'trace-1'],
    ]);
    expect(received.every((m) => (m.headers['x-correlation-id'] as Buffer).buffer !== response.buffer)).toBe(true);
    // Decoded messages keep nothing of the response; the invalid one keeps its bytes for the dead-letter topic.
    expect(fake.delivered().map((m) => [m.key, m.value])).toEqual([[null, null], [null, null], [null, null], [Buffer.from('k3'), Buffer.from('3')]]);
    calls.forEach((c) => c.finish());
    await settle();
    expect(fake.committed).toEqual(['2', '4']);
    await consumer.stop();
  });

  it("should hand a partition's next chunk to the handler only after the one before it is committed when overlapFetch is on", async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true });
    consumer.start();
    await fake.started;
    await fake.deliver([0, 1]);
    const next = fake.deliver([2, 3]);
    await settle();
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1']]);
    calls[0].finish();
    await next;
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1'], ['2', '3']]);
    expect(fake.committed).toEqual(['2']);
    calls[1].finish();
    await settle();
    expect(fake.committed).toEqual(['2', '4']);
    await consumer.stop();
  });

  it('should read a partition again from a handed-off chunk whose offset commit failed, and not handle what was read after it', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true });
    consumer.start();
    await fake.started;
    fake.failNextCommit();
    await fake.deliver([0, 1]);
    const next = fake.deliver([2, 3]);
    calls[0].finish();
    await next;
    // Rewound to the failed chunk (resolved "-1": next fetch from offset 0); the batch after it was left alone.
    expect(fake.resolved).toEqual(['1', '-1']);
    expect(calls).toHaveLength(1);
    expect(fake.committed).toEqual([]);
    // kafkajs reads from offset 0 again: handled and committed, as a redelivery.
    await fake.deliver([0, 1, 2, 3]);
    calls[1].finish();
    await settle();
    expect(calls[1].offsets).toEqual(['0', '1', '2', '3']);
    expect(fake.committed).toEqual(['4']);
    await consumer.stop();
  });

  it('should let a handed-off chunk finish and commit before it leaves the group when stopped', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true });
    consumer.start();
    await fake.started;
    await fake.deliver([0, 1]);
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    calls[0].finish();
    await stopping;
    expect(fake.committed).toEqual(['2']);
  });

  it("should hand a partition's next chunk to the handler before the one before it is committed, and commit offsets in order, when handAhead is set", async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true, handAhead: 4 });
    consumer.start();
    await fake.started;
    await fake.deliver([0, 1]);
    await fake.deliver([2, 3]);
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1'], ['2', '3']]);
    // The later chunk is done first: its offset waits for the one before it.
    calls[1].finish();
    await settle();
    expect(fake.committed).toEqual([]);
    calls[0].finish();
    await settle();
    expect(fake.committed).toEqual(['2', '4']);
    await consumer.stop();
  });

  it('should hold a chunk back while a partition has handAhead messages handed and not committed', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true, handAhead: 4 });
    consumer.start();
    await fake.started;
    await fake.deliver([0, 1]);
    await fake.deliver([2, 3]);
    const third = fake.deliver([4, 5]);
    await settle();
    expect(calls).toHaveLength(2);
    calls[0].finish();
    await third;
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1'], ['2', '3'], ['4', '5']]);
    calls[1].finish();
    calls[2].finish();
    await settle();
    expect(fake.committed).toEqual(['2', '4', '6']);
    await consumer.stop();
  });

  it('should read a partition again from a chunk handed ahead whose commit failed, leaving the offsets after it uncommitted', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true, handAhead: 4 });
    consumer.start();
    await fake.started;
    fake.failNextCommit();
    await fake.deliver([0, 1]);
    await fake.deliver([2, 3]);
    calls[0].finish();
    calls[1].finish();
    await settle();
    // Rewound to the failed chunk only (not forward to the one after it); nothing committed.
    expect(fake.resolved).toEqual(['1', '3', '-1']);
    expect(fake.committed).toEqual([]);
    // kafkajs reads from offset 0 again: handled again (a redelivery) and committed.
    await fake.deliver([0, 1, 2, 3]);
    calls[2].finish();
    await settle();
    expect(calls[2].offsets).toEqual(['0', '1', '2', '3']);
    expect(fake.committed).toEqual(['4']);
    await consumer.stop();
  });

  it('should leave a batch fetched before its partition went back to an uncommitted chunk to the read from that chunk, when handAhead is set', async () => {
    const fake = fakeKafka();
    const { calls, handle } = heldHandler();
    const consumer = consumerWith(fake.kafka, { handle, overlapFetch: true, handAhead: 4 });
    consumer.start();
    await fake.started;
    fake.failNextCommit();
    await fake.deliver([0, 1]);
    calls[0].finish();
    await settle();
    // A fetch that was in flight when the position went back: neither handled nor moving the position on.
    await fake.deliver([2, 3]);
    expect(calls).toHaveLength(1);
    expect(fake.resolved).toEqual(['1', '-1', '-1']);
    await fake.deliver([0, 1, 2, 3]);
    calls[1].finish();
    await settle();
    expect(calls[1].offsets).toEqual(['0', '1', '2', '3']);
    expect(fake.committed).toEqual(['4']);
    await consumer.stop();
  });
});
