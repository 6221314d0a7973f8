import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { customerEventKey, CustomerEventV1, TOPICS } from '@tandem/contracts';
import { BatchConsumer, ConsumedMessage, Decoded, ensureTopics, EventProducer, KAFKA } from '@tandem/messaging';
import { LOGGER, Metrics } from '@tandem/observability';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { decodeDebeziumMessage } from './debezium-envelope';
import { ErpChange, ErpMappingOptions, mapErpChange, parseCurrencyAliases } from './erp-change.mapper';
import { addOrder, affectedCustomerIds, buildEvents, emptyCustomer, emptySummary, ErpOrderState, lastStepTouching, planBatch, summariesToRebuild } from './erp-batch';
import { ErpConfig } from './erp.config';
import { ErpStateRepository } from './erp-state.repository';
import { ErpBatchWriter } from './erp-batch-writer';
import { ErpStatistics } from './erp-statistics';
import { PhaseClock } from './erp-trace';

/**
 * A decoded change that serializes back to the envelope it came from: the consumer writes
 * `JSON.stringify(value)` to the dead letters when processing fails, and a replay must put the
 * original Debezium message back on its topic, not the connector's reading of it.
 */
export interface ErpMessage {
  change: ErpChange;
  sourceTsMs: number | null;
  toJSON(): unknown;
}

/** Decodes and maps one message; a bad one is refused with its reason (then dead-lettered). */
export function decodeErpMessage(message: Pick<KafkaMessage, 'value'>, options: ErpMappingOptions): Decoded<ErpMessage> {
  const decoded = decodeDebeziumMessage(message);
  if (!decoded.ok) return decoded;
  const mapped = mapErpChange(decoded.value, options);
  if (!mapped.ok) return mapped;
  const sourceTsMs = decoded.value.kind === 'change' ? decoded.value.envelope.source.ts_ms : null;
  // The original is read again from the message only if it has to go to the dead letters: holding
  // every parsed envelope until its batch commits would cost more in garbage collection than that.
  const value = message.value;
  return { ok: true, value: { change: mapped.value, sourceTsMs, toJSON: () => (value?.length ? JSON.parse(value.toString('utf8')) : null) } };
}

/**
 * Applies a batch of ERP changes: state and aggregates in PostgreSQL, events to the ingest topic,
 * all inside one transaction that commits only after Kafka acknowledged every event. A redelivered
 * batch finds its changes applied (by LSN) and emits nothing new.
 *
 * The transaction first takes the source's lock (one advisory lock: transactions of one source,
 * from any instance, take turns), then reads the state it needs without row locks. Then it goes in
 * steps of `stepSize` changes: each step's orders are written and its events sent while the next
 * step is worked out (this process, PostgreSQL and Kafka busy at once). Each customer is written
 * once, with the orders of the last step that can change it (so most of them while later steps
 * are worked out, not all at the end); the last step's go in one statement with its orders. The aggregates come
 * from each customer's orders summary, kept up to date change by change; only a summary that lost
 * its latest order (or predates the summaries) is rebuilt from the stored orders.
 */
export async function applyErpBatch(
  dataSource: DataSource,
  producer: EventProducer,
  source: string,
  changes: ErpChange[],
  ingestTopic: string = TOPICS.customerEvents,
  stepSize = 1000,
): Promise<CustomerEventV1[]> {
  const relevant = changes.filter((c) => c.table !== 'ignored');
  if (!relevant.length) return [];
  const clock = PhaseClock.start();
  clock?.add('batches', 1);
  clock?.add('changes', relevant.length);
  return dataSource
    .transaction(async (manager) => {
      await clock?.attach(manager);
      const repository = new ErpStateRepository(manager, source);
      await repository.lockSource();
      clock?.lap('lock');
      const orderIds = [...new Set(relevant.flatMap((c) => (c.table === 'orders' ? [c.orderId] : [])))];
      const orders = await repository.loadOrders(orderIds);
      clock?.lap('loadOrders');
      const affected = affectedCustomerIds(relevant, orders);
      const customers = await repository.loadCustomers(affected);
      const stored = new Set(customers.keys());
      for (const id of affected) if (!stored.has(id)) customers.set(id, emptyCustomer(id));
      clock?.lap('loadCustomers');
      const unknown = affected.filter((id) => !customers.get(id)!.known);
      const unannounced = await repository.loadUnannounced(unknown);
      clock?.lap('loadUnannounced');
      const changedCustomers = new Set<string>();
      const rewritten = new Set<string>();
      // Computed before planning moves orders to their new owners; a customer is written once, after its last step.
      const lastStep = lastStepTouching(relevant, stepSize, orders);
      const written = new Set<string>();
      const events: CustomerEventV1[] = [];
      const sends: Promise<unknown>[] = [];
      // The database writes run one after the other while the next step is worked out. A step's
      // order states are its own: a later step that changes an order makes a new state object.
      let writes: Promise<unknown> = Promise.resolve();
      let finalOrders: ErpOrderState[] = [];
      const write = (statement: () => Promise<unknown>) => {
        writes = writes.then(statement);
        writes.catch(() => undefined);
      };
      try {
        for (let start = 0; start < relevant.length; start += stepSize) {
          const plan = planBatch(relevant.slice(start, start + stepSize), customers, orders, unannounced);
          for (const order of plan.changedOrders) {
            // An order still waiting for its customer waits for it in the later steps too.
            if (!order.announced && !order.deleted) unannounced.set(order.customerId, [...(unannounced.get(order.customerId) ?? []).filter((o) => o.orderId !== order.orderId), order]);
          }
          const rebuild = summariesToRebuild(plan);
          const lastOfBatch = start + stepSize >= relevant.length;
          // The step's orders go with its finished customers, after its events are built, unless a
          // summary rebuilt below has to read them first.
          let stepOrders = plan.changedOrders;
          if (rebuild.length) {
            const ordersToRead = stepOrders;
            write(() => repository.save(ordersToRead));
            stepOrders = [];
          }
          clock?.lap('plan');
          if (rebuild.length) {
            await writes;
            const live = await repository.loadLiveOrders(rebuild);
            for (const id of rebuild) {
              const state = customers.get(id)!;
              state.summary = emptySummary();
              for (const order of live.get(id) ?? []) addOrder(state, order);
            }
            clock?.lap('rebuildSummaries');
          }
          const stepEvents = buildEvents(source, plan);
          for (const id of plan.changedCustomers) changedCustomers.add(id);
          for (const id of plan.rewrittenCustomers) rewritten.add(id);
          events.push(...stepEvents);
          if (lastOfBatch) finalOrders = stepOrders;
          else {
            const step = start / stepSize;
            const finished = [...changedCustomers].filter((id) => !written.has(id) && (lastStep.get(id) ?? Infinity) <= step);
            for (const id of finished) written.add(id);
            const ordersOfStep = stepOrders;
            if (ordersOfStep.length || finished.length) write(() => repository.save(ordersOfStep, finished.map((id) => customers.get(id)!), rewritten, stored));
          }
          clock?.lap('build');
          const messages = stepEvents.map((event) => ({ key: customerEventKey(event.source, event.sourceRecordId), value: JSON.stringify(event) }));
          const sent = producer.send(ingestTopic, messages);
          // Settled below; a failure meanwhile must not count as unhandled (and stop the process).
          sent.catch(() => undefined);
          sends.push(sent);
          // Lets the step's statement and request go out before the next step keeps this thread busy.
          await new Promise((resolve) => setImmediate(resolve));
          clock?.lap('send');
        }
        await writes;
        clock?.lap('saveOrders');
        await repository.save(finalOrders, [...changedCustomers].filter((id) => !written.has(id)).map((id) => customers.get(id)!), rewritten, stored);
        clock?.lap('saveCustomers');
      } finally {
        // Every statement and send settles before the transaction ends, whatever happened, so none is left unwatched.
        const [settledWrites, ...settled] = await Promise.allSettled([writes, ...sends]);
        clock?.lap('acks');
        const failed = [settledWrites, ...settled].find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
      }
      return events;
    })
    .finally(() => clock?.lap('commit'));
}

export interface ErpConsumerSettings {
  source: string;
  topics: string[];
  groupId: string;
  currencyAliases: Record<string, string>;
  /** Most changes in one transaction; a partition hands over at most this many at once. */
  batchSize: number;
  /** Partitions read at once in this process; their chunks share the transactions (group commit). */
  concurrency: number;
  /** Changes whose events are sent while the next ones are worked out (see `applyErpBatch`). */
  stepSize?: number;
  ingestTopic?: string;
  /** Called when a partition hands over a chunk, before it is written (the benchmark's clock). */
  onChunk?(messages: ConsumedMessage<ErpMessage>[]): void;
  /** Called once per transaction, after the commit. */
  onBatch?(handled: number, events: CustomerEventV1[], messages: ConsumedMessage<ErpMessage>[]): Promise<void> | void;
  onDeadLetter?(): Promise<void> | void;
}

/** The ERP connector's consumer: Debezium topics in, canonical events out (shared by the app and the benchmark). */
export function createErpConsumer(kafka: Kafka, producer: EventProducer, logger: Logger, dataSource: DataSource, settings: ErpConsumerSettings): BatchConsumer<ErpMessage> {
  const options: ErpMappingOptions = { source: settings.source, currencyAliases: settings.currencyAliases };
  const statistics = new ErpStatistics(dataSource, logger);
  const writer = new ErpBatchWriter<ConsumedMessage<ErpMessage>>(
    (changes) => applyErpBatch(dataSource, producer, settings.source, changes, settings.ingestTopic, settings.stepSize),
    settings.batchSize,
    logger,
    (group) => {
      statistics.written(group.handled);
      return settings.onBatch?.(group.handled, group.events, group.items);
    },
  );
  return new BatchConsumer<ErpMessage>(kafka, producer, logger, {
    groupId: settings.groupId,
    topics: settings.topics,
    deadLetterTopic: TOPICS.customerEventsDeadLetter,
    chunkSize: settings.batchSize,
    partitionsConsumedConcurrently: settings.concurrency,
    // The next chunks are fetched and decoded while the writer commits these, instead of after.
    overlapFetch: true,
    decode: (message) => decodeErpMessage(message, options),
    handle: (messages) => {
      settings.onChunk?.(messages);
      return writer.write(messages.map((m) => m.value.change), messages);
    },
    onDeadLetter: async () => {
      await settings.onDeadLetter?.();
    },
  });
}

/**
 * The ERP connector: consumes Debezium's change topics of the ERP's `customers` and `orders` and
 * turns them into canonical events, with orders feeding the personalization aggregates. Reports to
 * the connector registry; pausing it in the registry stops the consumer until it is resumed.
 */
@Injectable()
export class ErpConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: BatchConsumer<ErpMessage>;
  private watcher?: NodeJS.Timeout;
  private consuming = false;
  private resyncing = false;
  private following = false;
  private waitingForDependency = false;
  private readonly name: string;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(EventProducer) producer: EventProducer,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(ErpConfig) private readonly config: ErpConfig,
  ) {
    this.name = config.ERP_SOURCE;
    const produced = metrics.counter('erp_events_produced_total', 'Canonical events the ERP connector wrote to the ingest topic');
    const changes = metrics.counter('erp_changes_applied_total', 'Debezium change events the ERP connector handled (redeliveries included)');
    this.consumer = createErpConsumer(kafka, producer, logger, dataSource, {
      source: config.ERP_SOURCE,
      topics: [config.topics.customers, config.topics.orders],
      groupId: config.ERP_CONSUMER_GROUP,
      currencyAliases: parseCurrencyAliases(config.ERP_CURRENCY_ALIASES),
      batchSize: config.ERP_BATCH_SIZE,
      concurrency: config.ERP_CONCURRENCY,
      stepSize: config.ERP_STEP_SIZE,
      onBatch: async (handled, events, messages) => {
        changes.inc(handled);
        produced.inc(events.length);
        await this.registry.reportSuccess(this.name, { events: events.length, lagSeconds: lagSeconds(messages) }).catch(() => undefined);
      },
      // The table of dead letters is filled by the recorder from the dead-letter topic; here only the count.
      onDeadLetter: async () => {
        await this.registry.reportDeadLettered(this.name, 1).catch(() => undefined);
      },
    });
  }

  get state(): string {
    return this.consumer.state;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ERP_CONNECTOR_ENABLED) return;
    // Debezium's topics; the broker never auto-creates, and scripts/debezium.mjs may not have run yet.
    const partitions = this.config.ERP_TOPIC_PARTITIONS;
    await ensureTopics(this.kafka, [
      { name: this.config.topics.customers, partitions },
      { name: this.config.topics.orders, partitions },
    ]);
    await this.registry.register(this.name, 'erp', { topics: [this.config.topics.customers, this.config.topics.orders], consumerGroup: this.config.ERP_CONSUMER_GROUP });
    await this.follow();
    // Pause and resume are asked for through the registry (API or CLI), possibly by another instance.
    this.watcher = setInterval(() => {
      if (this.following) return;
      this.following = true;
      this.follow()
        .catch((error) => this.logger.warn({ err: { message: (error as Error).message } }, 'erp connector: cannot read its registry state'))
        .finally(() => (this.following = false));
    }, 2000);
    this.watcher.unref();
  }

  private async follow(): Promise<void> {
    const claim = await this.registry.claimResync(this.name);
    if (claim) await this.resync(claim.fromCursor);
    if (this.resyncing && (await this.caughtUp())) {
      this.resyncing = false;
      await this.registry.reportSuccess(this.name, { events: 0, caughtUp: true });
    }
    await this.reportDependencyState();
    const paused = await this.registry.isPaused(this.name);
    if (paused && this.consuming) {
      this.consuming = false;
      await this.consumer.stop();
      this.logger.info({ connector: this.name }, 'erp connector paused');
    } else if (!paused && !this.consuming) {
      this.consuming = true;
      this.consumer.start();
    }
  }

  /**
   * The consumer retries by itself while Kafka or PostgreSQL is away; the registry shows that as
   * `backing-off` (once per outage, not once per retry) and `running` again when it passes.
   */
  private async reportDependencyState(): Promise<void> {
    const waiting = this.consuming && this.consumer.state === 'waiting-for-dependency';
    if (waiting === this.waitingForDependency) return;
    if (waiting) {
      await this.registry.reportFailure(this.name, new Error('Kafka or PostgreSQL is unavailable; the consumer retries with backoff'), { backingOffUntil: new Date(Date.now() + 10_000) });
    } else {
      await this.registry.reportSuccess(this.name, { events: 0 });
    }
    this.waitingForDependency = waiting;
  }

  /**
   * Re-reads the change topics from the beginning, or from an ISO instant (the cursor), and says
   * every re-read change again (new revisions, so downstream applies them). Kafka keeps the
   * topics for their retention only: a full re-snapshot of the ERP is Debezium's job
   * (`node scripts/debezium.mjs wipe` then `start`). With several instances consuming, pause the
   * connector first: Kafka resets a group's offsets only while none of its members runs.
   */
  private async resync(fromCursor: string | null): Promise<void> {
    const at = fromCursor === null ? null : Date.parse(fromCursor);
    if (at !== null && Number.isNaN(at)) {
      await this.registry.reportFailure(this.name, new Error(`an ERP resync cursor is an ISO instant (got "${fromCursor!.slice(0, 40)}")`), {});
      return;
    }
    const wasConsuming = this.consuming;
    if (wasConsuming) {
      this.consuming = false;
      await this.consumer.stop();
    }
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      for (const topic of [this.config.topics.customers, this.config.topics.orders]) {
        if (at === null) await admin.resetOffsets({ groupId: this.config.ERP_CONSUMER_GROUP, topic, earliest: true });
        else await admin.setOffsets({ groupId: this.config.ERP_CONSUMER_GROUP, topic, partitions: await admin.fetchTopicOffsetsByTimestamp(topic, at) });
      }
      // Re-read changes must apply again, so the per-row "already applied" marks start over.
      await this.dataSource.query(`UPDATE erp_customers SET customer_lsn = 0 WHERE source = $1`, [this.name]);
      await this.dataSource.query(`UPDATE erp_orders SET lsn = 0 WHERE source = $1`, [this.name]);
      this.resyncing = true;
      this.logger.info({ connector: this.name, from: fromCursor ?? 'beginning' }, 'erp connector resync started');
    } catch (error) {
      this.logger.warn({ connector: this.name, err: { message: (error as Error).message } }, 'erp connector resync failed');
      await this.registry.reportFailure(this.name, new Error(`resync failed: ${(error as Error).message} (with several connectors instances, pause the connector first)`), {});
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** The group has committed up to the end of every partition of both topics. */
  private async caughtUp(): Promise<boolean> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const topics = [this.config.topics.customers, this.config.topics.orders];
      const committed = await admin.fetchOffsets({ groupId: this.config.ERP_CONSUMER_GROUP, topics });
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const end of ends) {
          const offset = Number(mine.find((p) => p.partition === end.partition)?.offset ?? -1);
          if (Number(end.high) > Number(end.low) && offset < Number(end.high)) return false;
        }
      }
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.watcher) clearInterval(this.watcher);
    await this.consumer.stop();
  }
}

function lagSeconds(messages: ConsumedMessage<ErpMessage>[]): number | null {
  const newest = Math.max(...messages.map((m) => m.value.sourceTsMs ?? 0));
  return newest > 0 ? Math.max(0, (Date.now() - newest) / 1000) : null;
}
