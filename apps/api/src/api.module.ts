import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { TOPIC_SPECS } from '@tandem/contracts';
import { MessagingModule } from '@tandem/messaging';
import { ObservabilityModule } from '@tandem/observability';
import { PersistenceModule } from '@tandem/persistence';
import { ApiConfig } from './api.config';
import { AuditController } from './audit/audit.controller';
import { AuthGuard } from './auth/auth.guard';
import { ClientDirectory } from './auth/client-directory';
import { TokenController } from './auth/token.controller';
import { TokenService } from './auth/token.service';
import { ClientsController } from './clients/clients.controller';
import { GOVERNANCE_PROVIDERS } from './governance/governance.providers';
import { PoliciesController } from './policies/policies.controller';

/** The governed profile API: marketing automation, IT and the data office. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ObservabilityModule.forRoot({ service: 'api', logger, readinessTimeoutMs: config.READINESS_TIMEOUT_MS }),
        PersistenceModule.forRoot({ url: config.DATABASE_URL, startupTimeoutMs: config.STARTUP_TIMEOUT_MS, applicationName: 'tandem-api', poolSize: 16 }),
        MessagingModule.forRoot({ brokers: config.kafkaBrokers, clientId: 'tandem-api', startupTimeoutMs: config.STARTUP_TIMEOUT_MS, topics: TOPIC_SPECS }),
      ],
      controllers: [TokenController, ClientsController, PoliciesController, AuditController],
      providers: [
        { provide: ApiConfig, useValue: config },
        ...GOVERNANCE_PROVIDERS,
        ClientDirectory,
        TokenService,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
