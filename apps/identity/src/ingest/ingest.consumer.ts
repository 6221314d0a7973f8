import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { Gauge } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { CustomerEventV1, decodeCustomerEvent, TOPICS } from '@tandem/contracts';
import { modelFingerprint } from '@tandem/identity-engine';
import { BatchConsumer, EventProducer, KAFKA } from '@tandem/messaging';
import { HealthRegistry, LOGGER, Metrics } from '@tandem/observability';
import { ProfileResolver } from '@tandem/profiles';
import { IdentityConfig } from '../identity.config';
import { ResolutionService } from './resolution.service';

/**
 * Consumes canonical customer events in batches and applies them to PostgreSQL. The resolver's
 * population is read from the database first, so no batch waits on it (and misses heartbeats).
 */
@Injectable()
export class IngestConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: BatchConsumer<CustomerEventV1>;
  private stopping = false;
  private starting?: Promise<void>;
  private loaded = false;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(EventProducer) producer: EventProducer,
    @Inject(Metrics) metrics: Metrics,
    @Inject(IdentityConfig) config: IdentityConfig,
    @Inject(ResolutionService) private readonly resolution: ResolutionService,
    @Inject(ProfileResolver) private readonly resolver: ProfileResolver,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HealthRegistry) health: HealthRegistry,
  ) {
    // Not ready while the population loads (a minute or more for millions of records): nothing is resolved yet.
    health.register({
      name: 'population',
      check: async () => {
        if (!this.loaded) throw new Error(`loading the resolver population from PostgreSQL (${this.resolver.recordsLoaded} records so far)`);
      },
    });
    const applied = metrics.counter('identity_events_applied_total', 'Events whose effect was committed to PostgreSQL');
    new Gauge({
      name: 'identity_resolver_phase_seconds',
      help: 'Time the resolver spent per phase since start (lock wait, catch-up, staging, planning, each statement, commit), cumulated',
      labelNames: ['phase'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const t of resolver.timings.snapshot()) this.set({ phase: t.phase }, t.seconds);
      },
    });
    new Gauge({
      name: 'identity_resolver_planner_work_total',
      help: 'What the planner did since start: records searched, index postings visited, candidates found, pairs scored',
      labelNames: ['kind'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const w of resolver.timings.counts()) this.set({ kind: w.kind }, w.total);
      },
    });
    const model = { fingerprint: modelFingerprint(resolver.model), trained: String(resolver.model.training.trained) };
    new Gauge({
      name: 'identity_model_info',
      help: 'The match model this instance resolves with (always 1): every instance of a consumer group must show the same fingerprint, or their clusters differ',
      labelNames: ['fingerprint', 'trained'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        this.set(model, 1);
      },
    });
    this.logger.info({ model: model.fingerprint, trained: model.trained === 'true' }, 'resolving with this match model');
    new Gauge({
      name: 'identity_resolver_population_records',
      help: 'Live source records the resolver holds in memory',
      registers: [metrics.registry],
      collect() {
        this.set(resolver.records);
      },
    });
    const received = metrics.counter('identity_events_received_total', 'Valid events handed to the resolver, redeliveries included');
    this.consumer = new BatchConsumer(kafka, producer, this.logger, {
      groupId: config.IDENTITY_CONSUMER_GROUP,
      topics: [config.IDENTITY_INGEST_TOPIC],
      deadLetterTopic: TOPICS.customerEventsDeadLetter,
      chunkSize: config.IDENTITY_BATCH_SIZE,
      partitionsConsumedConcurrently: config.IDENTITY_CONCURRENT_PARTITIONS,
      // Chunks join the resolver's next transaction as they arrive, instead of kafkajs fetching again only
      // once every partition's chunk is committed (events waited for a whole transaction, then for the
      // next one: about half the latency at 2,000/s). Two chunks a partition at most are held uncommitted.
      overlapFetch: true,
      handAhead: 2 * config.IDENTITY_BATCH_SIZE,
      decode: (message) => decodeCustomerEvent(message.value),
      handle: async (messages) => {
        received.inc(messages.length);
        applied.inc(await this.resolution.apply(messages));
      },
    });
  }

  get state(): string {
    return this.consumer.state;
  }

  onApplicationBootstrap(): void {
    this.starting = this.loadThenConsume();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.consumer.stop();
  }

  private async loadThenConsume(): Promise<void> {
    let delay = 500;
    while (!this.stopping) {
      try {
        const started = Date.now();
        await this.resolver.load(this.dataSource);
        this.loaded = true;
        this.logger.info({ records: this.resolver.records, ms: Date.now() - started }, 'resolver population loaded');
        if (!this.stopping) this.consumer.start();
        return;
      } catch (error) {
        this.logger.warn({ err: { message: (error as Error).message }, retryInMs: delay }, 'cannot load the resolver population; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, 15000);
      }
    }
  }
}
