import { IHeaders, Kafka, Producer, RecordMetadata } from 'kafkajs';
import { KafkaUnreachableError } from './kafka-settings';
import { javaCompatiblePartitioner } from './partitioner';
import { retryUntil } from './retry';

export interface OutgoingMessage {
  key: string | null;
  value: string | Buffer | null;
  headers?: IHeaders;
  partition?: number;
}

/**
 * The service's one Kafka producer: idempotent (a retried send is written once per partition)
 * and acknowledged by all in-sync replicas before `send` resolves.
 */
export class EventProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka, private readonly brokers: string[]) {
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

  async send(topic: string, messages: OutgoingMessage[]): Promise<RecordMetadata[]> {
    if (messages.length === 0) return [];
    return this.producer.send({ topic, messages, acks: -1 });
  }

  async sendBatch(topicMessages: { topic: string; messages: OutgoingMessage[] }[]): Promise<RecordMetadata[]> {
    return this.producer.sendBatch({ topicMessages: topicMessages.filter((t) => t.messages.length > 0), acks: -1 });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
