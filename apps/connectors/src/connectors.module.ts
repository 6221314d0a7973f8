import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { TOPIC_SPECS } from '@tandem/contracts';
import { MessagingModule } from '@tandem/messaging';
import { ObservabilityModule } from '@tandem/observability';
import { PersistenceModule } from '@tandem/persistence';
import { ConnectorsConfig } from './connectors.config';
import { EventPublisher } from './events/event-publisher.service';
import { EventsController } from './events/events.controller';
import { RegistryModule } from './registry/registry.module';

/** The hub's intake: source connectors into the ingest topic, operated by IT. */
@Module({})
export class ConnectorsModule {
  static forRoot(config: ConnectorsConfig, logger: Logger): DynamicModule {
    return {
      module: ConnectorsModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'connectors', logger, readinessTimeoutMs: config.READINESS_TIMEOUT_MS }),
        PersistenceModule.forRoot({ url: config.DATABASE_URL, startupTimeoutMs: config.STARTUP_TIMEOUT_MS, applicationName: 'tandem-connectors' }),
        MessagingModule.forRoot({ brokers: config.kafkaBrokers, clientId: 'tandem-connectors', startupTimeoutMs: config.STARTUP_TIMEOUT_MS, topics: TOPIC_SPECS }),
        RegistryModule,
      ],
      controllers: [EventsController],
      providers: [{ provide: ConnectorsConfig, useValue: config }, EventPublisher],
    };
  }
}
