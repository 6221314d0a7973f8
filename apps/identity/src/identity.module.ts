import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { TOPIC_SPECS } from '@tandem/contracts';
import { MessagingModule } from '@tandem/messaging';
import { ObservabilityModule } from '@tandem/observability';
import { PersistenceModule } from '@tandem/persistence';
import { IdentityConfig } from './identity.config';
import { DataSource } from 'typeorm';
import { loadModel, ProfileResolver, StewardshipService } from '@tandem/profiles';
import { IngestConsumer } from './ingest/ingest.consumer';
import { ResolutionService } from './ingest/resolution.service';
import { TableStatistics } from './maintenance/table-statistics.service';
import { OutboxRelay } from './outbox/outbox.relay';
import { StewardshipController } from './profiles/stewardship.controller';

/** Streaming identity resolution: canonical events in, source records and profiles out. */
@Module({})
export class IdentityModule {
  static forRoot(config: IdentityConfig, logger: Logger): DynamicModule {
    return {
      module: IdentityModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'identity', logger, readinessTimeoutMs: config.READINESS_TIMEOUT_MS }),
        PersistenceModule.forRoot({ url: config.DATABASE_URL, startupTimeoutMs: config.STARTUP_TIMEOUT_MS, applicationName: 'tandem-identity' }),
        MessagingModule.forRoot({ brokers: config.kafkaBrokers, clientId: 'tandem-identity', startupTimeoutMs: config.STARTUP_TIMEOUT_MS, topics: TOPIC_SPECS }),
      ],
      controllers: [StewardshipController],
      providers: [
        { provide: IdentityConfig, useValue: config },
        { provide: ProfileResolver, useFactory: () => new ProfileResolver(loadModel(config.IDENTITY_MODEL_FILE || undefined), { measureDatabaseCpu: config.IDENTITY_MEASURE_DATABASE_CPU === 'on', pipelineStatements: config.IDENTITY_PIPELINE_STATEMENTS === 'on' }) },
        { provide: StewardshipService, useFactory: (ds: DataSource, resolver: ProfileResolver) => new StewardshipService(ds, resolver), inject: [DataSource, ProfileResolver] },
        ResolutionService,
        IngestConsumer,
        OutboxRelay,
        TableStatistics,
      ],
    };
  }
}
