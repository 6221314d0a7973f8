import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { TOPIC_SPECS } from '@tandem/contracts';
import { MessagingModule } from '@tandem/messaging';
import { ObservabilityModule } from '@tandem/observability';
import { PersistenceModule } from '@tandem/persistence';
import { ApiConfig } from './api.config';

/** The governed profile API: marketing automation, IT and the data office. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'api', logger, readinessTimeoutMs: config.READINESS_TIMEOUT_MS }),
        PersistenceModule.forRoot({ url: config.DATABASE_URL, startupTimeoutMs: config.STARTUP_TIMEOUT_MS, applicationName: 'tandem-api' }),
        MessagingModule.forRoot({ brokers: config.kafkaBrokers, clientId: 'tandem-api', startupTimeoutMs: config.STARTUP_TIMEOUT_MS, topics: TOPIC_SPECS }),
      ],
    };
  }
}
