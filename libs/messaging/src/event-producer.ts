import { IHeaders, Kafka, Producer, RecordMetadata } from 'kafkajs';
import { groupedLinearlyByKafkajs, installOnePassProduceEncoding } from './kafkajs-produce-encoding';
import { KafkaUnreachableError } from './kafka-settings';
import { javaCompatiblePartitioner } from './partitioner';
import { retryUntil } from './retry';
import { isTransientError } from './transient';

export interface OutgoingMessage {
  key: string | null;
  value: string | Buffer | null;
  headers?: IHeaders;
  partition?: number;
}

type TopicMessages = { topic: string; messages: OutgoingMessage[] };

interface WaitingSend {
  topicMessages: TopicMessages[];
  /** Characters of keys and values: an estimate of the request's size. */
  size: number;
  resolve(records: RecordMetadata[]): void;
  reject(error: unknown): void;
}

/**
 * Sends that queue up while a request is in flight are merged into one request, up to about this
 * many characters of keys and values. The broker refuses a partition's batch over 1 MB
 * (message.max.bytes); should mostly non-ASCII text make a merged request too large anyway, its
 * sends are retried one by one.
 */
const MERGE_LIMIT = 768 * 1024;

/**
 * The service's one Kafka producer: idempotent (a retried send is written once per partition)
 * and acknowledged by all in-sync replicas before `send` resolves.
 *
 * kafkajs sends one request per `send` call and, being idempotent, one at a time per broker; so,
 * like the Java client's batching, the sends that wait while a request is in flight go out
 * together as one request when it is done: fewer, larger requests for the same messages, each
 * send still resolving only once its own messages are acknowledged, in the order they were given.
 */
export class EventProducer {
  private readonly producer: Producer;
  private connected = false;
  private readonly waiting: WaitingSend[] = [];
  private flushing = false;

  constructor(kafka: Kafka, private readonly brokers: string[]) {
    installOnePassProduceEncoding();
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: javaCompatiblePartitioner });
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
  }

  /** Connects, retrying with backoff for up to `timeoutMs`. */
  async connect(timeoutMs: number): Promise<void> {
    await retryUntil(timeoutMs, () => this.producer.connect(), (error) => new KafkaUnreachableError(this.brokers, timeoutMs, error));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  // Not `async`: a webhook is one send, and each promise costs the promise hooks that the
  // services' AsyncLocalStorage enables; the queued send's own promise is the answer.
  send(topic: string, messages: OutgoingMessage[]): Promise<RecordMetadata[]> {
    if (messages.length === 0) return Promise.resolve([]);
    return this.enqueue([{ topic, messages }]);
  }

  sendBatch(topicMessages: TopicMessages[]): Promise<RecordMetadata[]> {
    const nonEmpty = topicMessages.every((t) => t.messages.length > 0) ? topicMessages : topicMessages.filter((t) => t.messages.length > 0);
    if (nonEmpty.length === 0) return Promise.resolve([]);
    return this.enqueue(nonEmpty);
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }

  private enqueue(topicMessages: TopicMessages[]): Promise<RecordMetadata[]> {
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      let size = 0;
      for (const { messages } of topicMessages) for (const m of messages) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
      this.waiting.push({ topicMessages, size, resolve, reject });
      if (!this.flushing) {
        // A linger of one turn of the event loop: the sends of every request read in the same
        // round of I/O (concurrent webhooks, say) go out as one request, not the first alone.
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length) await this.sendMerged(this.take());
    } finally {
      this.flushing = false;
    }
  }

  /** The oldest waiting sends that fit one request; always at least one. */
  private take(): WaitingSend[] {
    let size = this.waiting[0].size;
    let count = 1;
    while (count < this.waiting.length && size + this.waiting[count].size <= MERGE_LIMIT) size += this.waiting[count++].size;
    return this.waiting.splice(0, count);
  }

  private async sendMerged(sends: WaitingSend[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const send of sends) {
      for (const { topic, messages } of send.topicMessages) {
        const list = byTopic.get(topic);
        if (list) for (const message of messages) list.push(message);
        else byTopic.set(topic, [...messages]);
      }
    }
    let records: RecordMetadata[];
    try {
      records = await this.producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages: groupedLinearlyByKafkajs(messages) })), acks: -1 });
    } catch (error) {
      // A broker or network fault (retried by kafkajs until it gave up) fails them all, and each
      // caller retries as it would have; anything else may be one send's own doing (a message too
      // large, one kafkajs cannot encode), so each is tried alone and only that one fails.
      if (sends.length > 1 && mayBeOneSendsFault(error)) {
        for (const send of sends) await this.sendMerged([send]);
      } else {
        for (const send of sends) send.reject(error);
      }
      return;
    }
    // One topic in the request (a connector's events): every send gets all of its records, one array.
    if (byTopic.size === 1) for (const send of sends) send.resolve(records);
    else {
      for (const send of sends) {
        const topics = new Set(send.topicMessages.map((t) => t.topic));
        send.resolve(records.filter((r) => topics.has(r.topicName)));
      }
    }
  }
}

function mayBeOneSendsFault(error: unknown): boolean {
  return !isTransientError(error) && (error as Error)?.name !== 'KafkaJSNumberOfRetriesExceeded';
}
