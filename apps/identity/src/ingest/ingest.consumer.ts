import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { CustomerEventV1, decodeCustomerEvent, TOPICS } from '@tandem/contracts';
import { BatchConsumer, EventProducer, KAFKA } from '@tandem/messaging';
import { LOGGER, Metrics } from '@tandem/observability';
import { IdentityConfig } from '../identity.config';
import { ResolutionService } from './resolution.service';

/** Consumes canonical customer events in batches and applies them to PostgreSQL. */
@Injectable()
export class IngestConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: BatchConsumer<CustomerEventV1>;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(EventProducer) producer: EventProducer,
    @Inject(LOGGER) logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Inject(IdentityConfig) config: IdentityConfig,
    @Inject(ResolutionService) private readonly resolution: ResolutionService,
  ) {
    const applied = metrics.counter('identity_events_applied_total', 'Events whose effect was committed to PostgreSQL');
    const received = metrics.counter('identity_events_received_total', 'Valid events handed to the resolver, redeliveries included');
    this.consumer = new BatchConsumer(kafka, producer, logger, {
      groupId: config.IDENTITY_CONSUMER_GROUP,
      topics: [config.IDENTITY_INGEST_TOPIC],
      deadLetterTopic: TOPICS.customerEventsDeadLetter,
      chunkSize: config.IDENTITY_BATCH_SIZE,
      partitionsConsumedConcurrently: config.IDENTITY_CONCURRENT_PARTITIONS,
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
    this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
