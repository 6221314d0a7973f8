import { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DEAD_LETTER_HEADERS } from '@tandem/contracts';
import { withCorrelation } from '@tandem/observability';
import { EventProducer } from './event-producer';
import { isTransientError } from './transient';

/** One decoded message handed to a batch handler. */
export interface ConsumedMessage<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  headers: IHeaders;
  timestamp: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** A message that could not be processed, as written to the dead-letter topic. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
  reason: string;
  attempts: number;
}

export interface BatchConsumerOptions<T> {
  groupId: string;
  topics: string[];
  deadLetterTopic: string;
  decode(message: KafkaMessage): Decoded<T>;
  /**
   * Handles a chunk of valid messages, all-or-nothing (one database transaction). It is called
   * again with the same messages after a failure, so it must be idempotent.
   */
  handle(messages: ConsumedMessage<T>[], context: { heartbeat(): Promise<void> }): Promise<void>;
  /** Called after a dead letter was written to Kafka (e.g. to keep a table operators can query). */
  onDeadLetter?(letter: DeadLetter): Promise<void>;
  /** Attempts for a failure that is not transient before the message is dead-lettered. */
  maxAttempts?: number;
  /** Messages handed to `handle` at once; offsets are committed after each chunk. */
  chunkSize?: number;
  sessionTimeoutMs?: number;
  partitionsConsumedConcurrently?: number;
  /**
   * Lets kafkajs fetch and this consumer decode the next batch while a partition's last chunk is
   * still being handled (kafkajs fetches again only once every partition's batch has returned).
   * A partition's chunks are still handled and committed one after the other, in offset order.
   */
  overlapFetch?: boolean;
  /**
   * With `overlapFetch`: up to this many messages of a partition may be handed to `handle` before the
   * chunks ahead of them are committed, so a chunk waits for the handler's next turn, not for the one
   * before it to commit. Offsets are still committed in order, each once every chunk before it is
   * committed; a chunk after one that is not committed is read again, though it may have taken effect
   * (the handler must apply chunks in the order it gets them and be idempotent, which it is anyway).
   */
  handAhead?: number;
  fromBeginning?: boolean;
}

export type ConsumerState = 'stopped' | 'starting' | 'running' | 'waiting-for-dependency' | 'restarting';

/**
 * A kafkajs consumer in `eachBatch` mode with the failure rules Nest's transport lacks:
 * invalid messages go straight to the dead-letter topic with the reason in headers; a failing
 * chunk is retried a bounded number of times, then split to isolate the poison message, which is
 * dead-lettered, and the partition moves on; a transient failure (database or broker away) is
 * retried with backoff until the dependency returns, never dead-lettered. Offsets are committed
 * only after `handle` resolved, so every effect is at-least-once and, with an idempotent handler,
 * exactly-once in effect.
 */
export class BatchConsumer<T> {
  private consumer?: Consumer;
  private stopping = false;
  private currentState: ConsumerState = 'stopped';
  private readonly maxAttempts: number;
  private readonly chunkSize: number;
  private supervisor?: Promise<void>;
  /** With `overlapFetch`: per topic-partition, the chunk still being handled after its batch returned (done: committed or not). */
  private readonly handedOff = new Map<string, { first: bigint; done: Promise<boolean> }>();
  /** With `handAhead`: per topic-partition, the chunks handed to `handle` and not yet known to be committed. */
  private readonly chains = new Map<string, Chain>();

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: EventProducer,
    private readonly logger: Logger,
    private readonly options: BatchConsumerOptions<T>,
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.chunkSize = options.chunkSize ?? 500;
  }

  get state(): ConsumerState {
    return this.currentState;
  }

  /** Starts consuming in the background; a broker that is away is waited for, not fatal. */
  start(): void {
    this.stopping = false;
    this.supervisor ??= this.supervise();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Chunks handed off finish (or give up, as stopping) and commit while this is still a member of the group.
    await Promise.all([...this.handedOff.values(), ...this.chains.values()].map((chunk) => chunk.done));
    await this.consumer?.disconnect().catch(() => undefined);
    await this.supervisor;
    this.supervisor = undefined;
    this.currentState = 'stopped';
  }

  private async supervise(): Promise<void> {
    let delay = 500;
    while (!this.stopping) {
      this.currentState = this.currentState === 'stopped' ? 'starting' : 'restarting';
      const consumer = this.kafka.consumer({
        groupId: this.options.groupId,
        sessionTimeout: this.options.sessionTimeoutMs ?? 30000,
        heartbeatInterval: 3000,
        allowAutoTopicCreation: false,
        retry: { retries: 8 },
      });
      this.consumer = consumer;
      // Settles when this consumer is done: stopped by us, or crashed beyond kafkajs' own restarts.
      const ended = new Promise<void>((resolve) => {
        consumer.on(consumer.events.CRASH, (event) => {
          const { error, restart } = event.payload as { error: Error; restart: boolean };
          this.logger.warn({ groupId: this.options.groupId, err: { message: error.message }, restart }, 'consumer crashed');
          if (!restart) resolve();
        });
        consumer.on(consumer.events.STOP, () => this.stopping && resolve());
        consumer.on(consumer.events.DISCONNECT, () => this.stopping && resolve());
      });
      try {
        await consumer.connect();
        for (const topic of this.options.topics) await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
          eachBatch: (payload) => this.processBatch(payload),
        });
        this.currentState = 'running';
        delay = 500;
        await ended;
      } catch (error) {
        if (this.stopping) break;
        this.currentState = 'waiting-for-dependency';
        this.logger.warn({ groupId: this.options.groupId, err: { message: (error as Error).message }, retryInMs: delay }, 'consumer cannot start; retrying');
      }
      await consumer.disconnect().catch(() => undefined);
      if (this.stopping) break;
      await sleep(delay);
      delay = Math.min(delay * 2, 15000);
    }
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    const partitionKey = `${batch.topic}|${batch.partition}`;
    // Every chunk is decoded at once, which lets go of the fetch response's bytes (see decodeChunk).
    const chunks: Array<{ first: string; last: string } & ReturnType<BatchConsumer<T>['decodeChunk']>> = [];
    for (let start = 0; start < batch.messages.length; start += this.chunkSize) {
      const chunk = batch.messages.slice(start, start + this.chunkSize);
      chunks.push({ first: chunk[0].offset, last: chunk[chunk.length - 1].offset, ...this.decodeChunk(batch.topic, batch.partition, chunk) });
    }
    for (const { first, last, valid, invalid } of chunks) {
      if (!isRunning() || isStale() || this.stopping) return;
      if (this.options.handAhead) {
        if (!(await this.handOffAhead(payload, partitionKey, valid, invalid, first, last))) return;
        continue;
      }
      if (!(await this.previousCommitted(partitionKey, first)) || !isRunning() || isStale() || this.stopping) return;
      for (const { message, errors } of invalid) await this.deadLetter(batch.topic, batch.partition, message, `invalid message: ${errors.join('; ')}`, 1);
      const handling = this.handleAndCommit(payload, valid, last);
      if (!this.options.overlapFetch) {
        if (!(await handling)) return; // stopped or rebalanced mid-retry: the chunk will be redelivered
        resolveOffset(last);
        continue;
      }
      // The fetch position moves past the chunk now; its offset is committed once it is handled. If
      // it is not, the position goes back to its start, and what was read after it is not handled.
      const rewind = () => {
        try {
          resolveOffset((BigInt(first) - 1n).toString());
        } catch {
          // The partition went to another member meanwhile: its next reader starts from the committed offset anyway.
        }
      };
      const done = handling.then(
        (committed) => {
          if (!committed) rewind();
          return committed;
        },
        (error: Error) => {
          this.logger.warn({ topic: batch.topic, partition: batch.partition, offset: first, err: { message: error.message } }, 'chunk not committed; reading its partition again from it');
          rewind();
          return false;
        },
      );
      this.handedOff.set(partitionKey, { first: BigInt(first), done });
      resolveOffset(last);
    }
  }

  /**
   * With `handAhead`: hands the chunk to `handle` now (once what is handed and uncommitted before it
   * leaves room), and commits its offset once it and every chunk before it are committed. False when
   * it was not handed (stopped, or a chunk before it was not committed: the partition is read again).
   */
  private async handOffAhead(
    payload: EachBatchPayload,
    partitionKey: string,
    valid: ConsumedMessage<T>[],
    invalid: { message: KafkaMessage; errors: string[] }[],
    first: string,
    last: string,
  ): Promise<boolean> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    let chain = this.chains.get(partitionKey);
    if (chain?.rewoundTo !== undefined && BigInt(first) > chain.rewoundTo) {
      // Fetched before the partition went back to a chunk that was not committed: left for that read.
      try {
        resolveOffset((chain.rewoundTo - 1n).toString());
      } catch {
        // The partition went to another member meanwhile.
      }
      return false;
    }
    if (chain && BigInt(first) <= chain.last) {
      // Read again from a rewound chunk (or from the committed offset): what was handed before settles first.
      await chain.done;
      chain = undefined;
    }
    if (!chain) {
      chain = { last: -1n, done: Promise.resolve(true), pending: [], held: 0 };
      this.chains.set(partitionKey, chain);
    }
    const size = valid.length + invalid.length;
    while (chain.pending.length > 0 && chain.held + size > (this.options.handAhead ?? 0)) {
      if (!(await chain.pending[0].done)) return false;
    }
    if (!isRunning() || isStale() || this.stopping || this.chains.get(partitionKey) !== chain) return false;
    for (const { message, errors } of invalid) await this.deadLetter(batch.topic, batch.partition, message, `invalid message: ${errors.join('; ')}`, 1);
    const before = chain.done;
    const handled = valid.length > 0 ? this.handleWithRetries(valid, heartbeat, isRunning) : Promise.resolve(true);
    const entry = { size, done: Promise.resolve(false), settled: false };
    const own = chain;
    entry.done = (async () => {
      const [committedBefore, outcome] = await Promise.all([before, handled.then((ok) => ({ ok, error: undefined }), (error: Error) => ({ ok: false, error }))]);
      let committed = false;
      // A chunk before this one was not committed: the position went back to it already.
      if (committedBefore) {
        committed = await this.commitAhead(payload, first, last, outcome);
        if (!committed) own.rewoundTo ??= BigInt(first);
      }
      entry.settled = true;
      // Chunks settle in order: drop those at the front that have.
      while (own.pending[0]?.settled) own.held -= (own.pending.shift() as ChainEntry).size;
      return committed;
    })();
    chain.pending.push(entry);
    chain.held += size;
    chain.last = BigInt(last);
    chain.done = entry.done;
    resolveOffset(last);
    return true;
  }

  /** Commits a chunk handed ahead once every chunk before it is committed; otherwise reads its partition again from it. */
  private async commitAhead(payload: EachBatchPayload, first: string, last: string, outcome: { ok: boolean; error?: Error }): Promise<boolean> {
    const { batch, heartbeat, resolveOffset } = payload;
    try {
      if (outcome.error) throw outcome.error;
      if (outcome.ok) {
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
        });
        await heartbeat();
        return true;
      }
    } catch (error) {
      this.logger.warn({ topic: batch.topic, partition: batch.partition, offset: first, err: { message: (error as Error).message } }, 'chunk not committed; reading its partition again from it');
    }
    try {
      resolveOffset((BigInt(first) - 1n).toString());
    } catch {
      // The partition went to another member meanwhile: its next reader starts from the committed offset anyway.
    }
    return false;
  }

  /** Handles a chunk (with retries and dead letters), then commits its offset; false when stopped before it was done. */
  private async handleAndCommit(payload: EachBatchPayload, valid: ConsumedMessage<T>[], last: string): Promise<boolean> {
    const { batch, heartbeat, isRunning } = payload;
    if (valid.length > 0 && !(await this.handleWithRetries(valid, heartbeat, isRunning))) return false;
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
    });
    await heartbeat();
    return true;
  }

  /**
   * Decodes a chunk. A valid message's key, value and headers are then let go from kafkajs's batch
   * (which keeps its messages until the batch returns): they are slices of the whole fetch response,
   * several MB, and one slice held until its chunk is committed (seconds, with `handAhead`) kept the whole
   * response past two scavenges, into the old generation. There V8 counts it as external memory until a
   * full collection, and it starts one every 64 MB of such memory: with a million records, a heap of
   * 0.7 GB marked every ~20 s (Session 14 in apps/identity/README.md). An invalid message keeps its
   * bytes for the dead-letter topic.
   */
  private decodeChunk(topic: string, partition: number, chunk: KafkaMessage[]): { valid: ConsumedMessage<T>[]; invalid: { message: KafkaMessage; errors: string[] }[] } {
    const valid: ConsumedMessage<T>[] = [];
    const invalid: { message: KafkaMessage; errors: string[] }[] = [];
    for (const message of chunk) {
      const decoded = this.options.decode(message);
      if (decoded.ok) {
        valid.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: decoded.value,
          headers: ownHeaders(message.headers),
          timestamp: message.timestamp,
        });
        message.key = null;
        message.value = null;
        message.headers = {};
      } else {
        invalid.push({ message, errors: decoded.errors });
      }
    }
    return { valid, invalid };
  }

  /**
   * With `overlapFetch`, waits for the partition's chunk handed off before this one. False when
   * that chunk was not committed and this one was read after it (the partition is read again from
   * it); a chunk starting at or before it is that re-reading, or a restart from committed offsets.
   */
  private async previousCommitted(partitionKey: string, first: string): Promise<boolean> {
    const previous = this.handedOff.get(partitionKey);
    if (!previous) return true;
    this.handedOff.delete(partitionKey);
    return (await previous.done) || BigInt(first) <= previous.first;
  }

  /** Returns false when the consumer stopped before the chunk was done. */
  private async handleWithRetries(messages: ConsumedMessage<T>[], heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<boolean> {
    const outcome = await this.attempt(messages, heartbeat, isRunning);
    if (outcome === 'done' || outcome === 'stopped') return outcome === 'done';
    // The chunk keeps failing: find the message(s) at fault so the rest still get through.
    for (const message of messages) {
      const single = messages.length === 1 ? outcome : await this.attempt([message], heartbeat, isRunning);
      if (single === 'stopped') return false;
      if (single !== 'done') {
        await this.deadLetterConsumed(message, `processing failed after ${this.maxAttempts} attempts: ${single.error.message}`);
      }
    }
    return true;
  }

  private async attempt(
    messages: ConsumedMessage<T>[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<'done' | 'stopped' | { error: Error }> {
    let failures = 0;
    let transientDelay = 250;
    for (;;) {
      if (!isRunning() || this.stopping) return 'stopped';
      try {
        const correlationId = messages[0].headers['x-correlation-id']?.toString();
        await withCorrelation(correlationId, () => this.options.handle(messages, { heartbeat }));
        if (this.currentState !== 'running') this.currentState = 'running';
        return 'done';
      } catch (error) {
        if (isTransientError(error)) {
          this.currentState = 'waiting-for-dependency';
          this.logger.warn({ err: { message: (error as Error).message }, retryInMs: transientDelay }, 'dependency unavailable; retrying batch');
          await this.pause(transientDelay, heartbeat);
          transientDelay = Math.min(transientDelay * 2, 10000);
          continue;
        }
        failures += 1;
        if (failures >= this.maxAttempts) return { error: error as Error };
        await this.pause(200 * 2 ** failures, heartbeat);
      }
    }
  }

  // Waits while keeping the group membership alive.
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.stopping) {
      await sleep(Math.min(1000, until - Date.now()));
      await heartbeat().catch(() => undefined);
    }
  }

  private async deadLetterConsumed(message: ConsumedMessage<T>, reason: string): Promise<void> {
    const raw: KafkaMessage = {
      key: message.key === null ? null : Buffer.from(message.key),
      value: Buffer.from(JSON.stringify(message.value)),
      headers: message.headers,
      offset: message.offset,
      timestamp: message.timestamp,
      attributes: 0,
    };
    await this.deadLetter(message.topic, message.partition, raw, reason, this.maxAttempts);
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
    const headers: IHeaders = {
      ...(message.headers ?? {}),
      [DEAD_LETTER_HEADERS.originalTopic]: topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(partition),
      [DEAD_LETTER_HEADERS.originalOffset]: message.offset,
      [DEAD_LETTER_HEADERS.error]: reason.slice(0, 2000),
      [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
      [DEAD_LETTER_HEADERS.attempts]: String(attempts),
    };
    const key = message.key ? message.key.toString('utf8') : null;
    await this.producer.send(this.options.deadLetterTopic, [{ key, value: message.value, headers }]);
    this.logger.warn({ topic, partition, offset: message.offset, reason: reason.slice(0, 300) }, 'message dead-lettered');
    await this.options.onDeadLetter?.({ topic, partition, offset: message.offset, key, value: message.value, headers, reason, attempts });
  }
}

/** Chunks of one partition handed to the handler ahead of their commit (see `handAhead`). */
interface Chain {
  /** The last offset handed. */
  last: bigint;
  /** Settles when the last chunk handed is committed (true) or not (false). */
  done: Promise<boolean>;
  /** Chunks handed and not yet settled, oldest first, and their messages. */
  pending: ChainEntry[];
  held: number;
  /** The first offset of the chunk the partition went back to, once one was not committed. */
  rewoundTo?: bigint;
}

interface ChainEntry {
  size: number;
  done: Promise<boolean>;
  settled: boolean;
}

/** Headers whose Buffer values are copies, not slices of the fetch response. */
function ownHeaders(headers: IHeaders | undefined): IHeaders {
  const own: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    own[name] = Buffer.isBuffer(value) ? Buffer.from(value) : Array.isArray(value) ? value.map((v) => (Buffer.isBuffer(v) ? Buffer.from(v) : v)) : value;
  }
  return own;
}
