// Proves that kafkajs 2.2.4 (the client NestJS's Kafka transport uses) works against the broker
// that scripts/kafka.mjs runs: explicit topic creation, a two-member consumer group, committed
// offsets that a successor resumes from, and a rebalance when a member leaves.
// Needs a running broker at KAFKA_BROKERS (default 127.0.0.1:9092): `node scripts/kafka.mjs start`.
import { randomBytes } from 'node:crypto';
import { Admin, Consumer, Kafka, LogEntry, Partitioners, Producer, logLevel } from 'kafkajs';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RUN_ID = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const TOPIC = `e2e.kafka-broker.${RUN_ID}`;
const GROUP_ID = `e2e-kafka-broker-${RUN_ID}`;
const PARTITIONS = [0, 1, 2, 3];
const byNumber = (a: number, b: number) => a - b;

// Group joins take seconds; set here because jest ignores a per-project testTimeout.
jest.setTimeout(30_000);

interface Received {
  partition: number;
  offset: number;
  value: string;
}

/** kafkajs logs rebalances at ERROR level; keep its log in memory and show it only on a timeout. */
const kafkaLog: string[] = [];
const kafka = new Kafka({
  clientId: `e2e-kafka-broker-${RUN_ID}`,
  brokers: BROKERS,
  logLevel: logLevel.WARN,
  logCreator: () => (entry: LogEntry) => {
    kafkaLog.push(`${entry.label} [${entry.namespace}] ${entry.log.message}`);
  },
});

/** A group member that records what it is assigned and what it reads, and commits offset + 1. */
class Member {
  readonly consumer: Consumer;
  assignment: number[] = [];
  readonly received: Received[] = [];
  commits = 0;

  constructor() {
    this.consumer = kafka.consumer({ groupId: GROUP_ID, sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 10000, maxWaitTimeInMs: 1000 });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = [...(payload.memberAssignment[TOPIC] ?? [])].sort(byNumber);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    // fromBeginning only applies while the group has no committed offset for a partition.
    await this.consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.received.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
        // A committed offset is the next one to read.
        await this.consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
        this.commits++;
      },
    });
  }

  values(): string[] {
    return this.received.map((r) => r.value);
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last kafkajs log lines:\n${kafkaLog.slice(-15).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` messages spread evenly over the partitions, with values `<prefix>-<n>`. */
async function produce(prefix: string, count: number): Promise<string[]> {
  const values = Array.from({ length: count }, (_, n) => `${prefix}-${n}`);
  await producer.send({
    topic: TOPIC,
    acks: -1,
    messages: values.map((value, n) => ({ partition: n % PARTITIONS.length, value })),
  });
  return values;
}

let admin: Admin;
let producer: Producer;
const members: Member[] = [];
const [first, second] = [new Member(), new Member()];

beforeAll(async () => {
  admin = kafka.admin();
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
});

afterAll(async () => {
  await Promise.allSettled(members.map((m) => m.consumer.disconnect()));
  await admin?.deleteGroups([GROUP_ID]).catch(() => undefined);
  await admin?.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
});

describe('Kafka broker with kafkajs 2.2.4', () => {
  it('creates a topic with explicit partitions through the admin client', async () => {
    await expect(
      admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS.length, replicationFactor: 1 }], waitForLeaders: true }),
    ).resolves.toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual(PARTITIONS);
  });

  it('splits the partitions between two members of one group', async () => {
    members.push(first, second);
    await first.start();
    await waitFor('the first member to own every partition', () => first.assignment.length === PARTITIONS.length);
    await second.start();
    await waitFor(
      'the two members to share the partitions',
      () =>
        first.assignment.length > 0 &&
        second.assignment.length > 0 &&
        [...first.assignment, ...second.assignment].sort(byNumber).join() === PARTITIONS.join(),
    );
  });

  it('delivers every produced message once, to the member owning its partition', async () => {
    const sent = await produce('batch1', 40);
    await waitFor('40 messages', () => first.received.length + second.received.length >= sent.length);
    expect([...first.values(), ...second.values()].sort()).toEqual([...sent].sort());
    for (const member of [first, second]) {
      expect(member.received.every((r) => member.assignment.includes(r.partition))).toBe(true);
    }
    await waitFor('40 commits', () => first.commits + second.commits >= sent.length);
    const committed = await admin.fetchOffsets({ groupId: GROUP_ID, topics: [TOPIC] });
    expect(committed[0].partitions.map((p) => [p.partition, p.offset]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(PARTITIONS.map((p) => [p, '10']));
  });

  it('hands a leaving member’s partitions to the other, which resumes from the committed offsets', async () => {
    const before = first.received.length;
    await second.consumer.disconnect();
    await waitFor('the remaining member to own every partition', () => first.assignment.length === PARTITIONS.length);
    const sent = await produce('batch2', 20);
    await waitFor('20 more messages', () => first.received.length - before >= sent.length);
    await sleep(1000); // anything re-read from the committed offsets would arrive by now
    const taken = first.received.slice(before);
    expect(taken.map((r) => r.value).sort()).toEqual([...sent].sort());
    expect(new Set(taken.map((r) => r.partition))).toEqual(new Set(PARTITIONS));
  });

  it('lets a new member of the group resume after the committed offsets, re-reading nothing', async () => {
    await first.consumer.disconnect();
    const successor = new Member();
    members.push(successor);
    await successor.start();
    await waitFor('the successor to own every partition', () => successor.assignment.length === PARTITIONS.length);
    const sent = await produce('batch3', 8);
    await waitFor('8 new messages', () => successor.received.length >= sent.length);
    await sleep(1000);
    expect(successor.values().sort()).toEqual([...sent].sort());
    expect(successor.received.every((r) => r.offset >= 15)).toBe(true);
  });
});
