import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { TOPIC_SPECS } from '@tandem/contracts';
import { MessagingModule } from '@tandem/messaging';
import { ObservabilityModule } from '@tandem/observability';
import { PersistenceModule } from '@tandem/persistence';
import { hubModel, ProfileResolver, StewardshipService } from '@tandem/profiles';
import { DataSource } from 'typeorm';
import { ApiConfig } from './api.config';
import { AuditController } from './audit/audit.controller';
import { AuthGuard } from './auth/auth.guard';
import { ClientDirectory } from './auth/client-directory';
import { TokenController } from './auth/token.controller';
import { TokenService } from './auth/token.service';
import { ClientsController } from './clients/clients.controller';
import { AuditIndexUpkeep } from './governance/audit-index-upkeep';
import { GOVERNANCE_PROVIDERS } from './governance/governance.providers';
import { PoliciesController } from './policies/policies.controller';
import { AudienceResolver } from './audiences/audience-resolver.service';
import { AudiencesController } from './audiences/audiences.controller';
import { DataSubjectController } from './dsr/data-subject.controller';
import { DataSubjectService } from './dsr/data-subject.service';
import { GovernanceKeys } from './governance/governance-keys';
import { OperationsController } from './operations/operations.controller';
import { ProfileAccess } from './profiles/profile-access.service';
import { ProfileReader } from './profiles/profile-reader';
import { ReadConnection } from './profiles/read-connection';
import { ProfilesController } from './profiles/profiles.controller';
import { StewardshipController } from './stewardship/stewardship.controller';

/** The governed profile API: marketing automation, IT and the data office. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'api', logger, readinessTimeoutMs: config.READINESS_TIMEOUT_MS }),
        PersistenceModule.forRoot({ url: config.DATABASE_URL, startupTimeoutMs: config.STARTUP_TIMEOUT_MS, applicationName: 'tandem-api', poolSize: 8 }),
        MessagingModule.forRoot({ brokers: config.kafkaBrokers, clientId: 'tandem-api', startupTimeoutMs: config.STARTUP_TIMEOUT_MS, topics: TOPIC_SPECS }),
      ],
      controllers: [
        TokenController,
        ClientsController,
        PoliciesController,
        AuditController,
        ProfilesController,
        AudiencesController,
        DataSubjectController,
        StewardshipController,
        OperationsController,
      ],
      providers: [
        { provide: ApiConfig, useValue: config },
        ...GOVERNANCE_PROVIDERS,
        ClientDirectory,
        TokenService,
        GovernanceKeys,
        ReadConnection,
        ProfileReader,
        ProfileAccess,
        AudienceResolver,
        AuditIndexUpkeep,
        DataSubjectService,
        { provide: StewardshipService, inject: [DataSource], useFactory: (db: DataSource) => new StewardshipService(db, new ProfileResolver(hubModel(), { keepPopulation: false })) },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
