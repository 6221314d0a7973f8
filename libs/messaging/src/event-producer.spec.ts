import { Kafka, ProducerBatch, RecordMetadata } from 'kafkajs';
import { EventProducer } from './event-producer';

/** A kafkajs producer double: each sendBatch is one request, answered when the test says. */
function fakeKafka() {
  const requests: { batch: ProducerBatch; answer(error?: Error): void }[] = [];
  const producer = {
    events: { CONNECT: 'connect', DISCONNECT: 'disconnect' },
    on: () => undefined,
    sendBatch: (batch: ProducerBatch) =>
      new Promise<RecordMetadata[]>((resolve, reject) => {
        requests.push({
          batch,
          answer: (error) => (error ? reject(error) : resolve(batch.topicMessages!.map((t) => ({ topicName: t.topic, partition: 0, errorCode: 0 })))),
        });
      }),
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, requests };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const keys = (request: { batch: ProducerBatch }) => request.batch.topicMessages!.map((t) => `${t.topic}:${t.messages.map((m) => m.key).join(',')}`);

describe('EventProducer', () => {
  it('should send the sends that wait while a request is in flight as one request, each resolving once acknowledged', async () => {
    const { kafka, requests } = fakeKafka();
    const producer = new EventProducer(kafka, ['broker:9092']);
    const settled: string[] = [];
    const first = producer.send('a', [{ key: '1', value: 'x' }]).then(() => settled.push('first'));
    await tick();
    const second = producer.send('a', [{ key: '2', value: 'x' }]).then(() => settled.push('second'));
    const third = producer.sendBatch([{ topic: 'b', messages: [{ key: '3', value: 'x' }] }, { topic: 'a', messages: [{ key: '4', value: 'x' }] }]).then(() => settled.push('third'));
    await tick();
    expect(requests.map(keys)).toEqual([['a:1']]);
    requests[0].answer();
    await tick();
    expect(settled).toEqual(['first']);
    // In the order given: per topic (and so per partition) the second send's messages come first.
    expect(keys(requests[1])).toEqual(['a:2,4', 'b:3']);
    requests[1].answer();
    await Promise.all([first, second, third]);
    expect(settled).toEqual(['first', 'second', 'third']);
  });

  /** Two sends merged into one request behind a first one; returns them and the requests so far. */
  async function twoMerged(second = 'x') {
    const { kafka, requests } = fakeKafka();
    const producer = new EventProducer(kafka, ['broker:9092']);
    const blocker = producer.send('a', [{ key: '0', value: 'x' }]);
    await tick();
    const sends = [producer.send('a', [{ key: '1', value: 'x' }]), producer.send('a', [{ key: '2', value: second }])];
    requests[0].answer();
    await blocker;
    await tick();
    expect(keys(requests[1])).toEqual(['a:1,2']);
    return { sends, requests };
  }

  it("should retry merged sends one by one when a send's own message is refused, and fail only that one", async () => {
    const { sends, requests } = await twoMerged('x'.repeat(10));
    const tooLarge = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { name: 'KafkaJSProtocolError', retriable: false });
    requests[1].answer(tooLarge);
    await tick();
    expect(keys(requests[2])).toEqual(['a:1']);
    requests[2].answer();
    await tick();
    expect(keys(requests[3])).toEqual(['a:2']);
    requests[3].answer(tooLarge);
    await expect(sends[0]).resolves.toBeDefined();
    await expect(sends[1]).rejects.toBe(tooLarge);
  });

  it('should fail every merged send at once on a broker fault (each caller retries as before)', async () => {
    const { sends, requests } = await twoMerged();
    const outage = Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError', retriable: true });
    requests[1].answer(outage);
    for (const send of sends) await expect(send).rejects.toBe(outage);
    expect(requests).toHaveLength(2);
  });
});
