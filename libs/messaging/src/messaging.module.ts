import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { TopicSpec } from '@tandem/contracts';
import { HealthRegistry, LOGGER } from '@tandem/observability';
import { EventProducer } from './event-producer';
import { KafkaHealthIndicator } from './kafka.health';
import { createKafka, KafkaSettings, KafkaUnreachableError } from './kafka-settings';
import { retryUntil } from './retry';
import { ensureTopics } from './topic-admin';

/** Injection token of the service's kafkajs client. */
export const KAFKA = Symbol('KAFKA');

export interface MessagingModuleOptions extends KafkaSettings {
  /** How long start-up waits for the broker before giving up with one clear line. */
  startupTimeoutMs: number;
  /** Topics this service makes sure exist (with their partition counts) before it starts. */
  topics?: readonly TopicSpec[];
}

/** The kafkajs client, a connected idempotent producer, topics ensured, and the Kafka readiness check. */
@Global()
@Module({})
export class MessagingModule implements OnApplicationShutdown {
  constructor(@Inject(EventProducer) private readonly producer: EventProducer) {}

  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: KAFKA,
          inject: [LOGGER, HealthRegistry],
          useFactory: async (logger: Logger, health: HealthRegistry) => {
            const kafka = createKafka(options, logger);
            const probe = createKafka(options, logger, { connectionTimeout: 1000, requestTimeout: 2000, retries: 0 });
            health.register(new KafkaHealthIndicator(probe, options.brokers));
            if (options.topics?.length) {
              await retryUntil(
                options.startupTimeoutMs,
                () => ensureTopics(probe, options.topics!),
                (error) => new KafkaUnreachableError(options.brokers, options.startupTimeoutMs, error),
              );
            }
            return kafka;
          },
        },
        {
          provide: EventProducer,
          inject: [KAFKA],
          useFactory: async (kafka: Kafka) => {
            const producer = new EventProducer(kafka, options.brokers);
            await producer.connect(options.startupTimeoutMs);
            return producer;
          },
        },
      ],
      exports: [KAFKA, EventProducer],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
