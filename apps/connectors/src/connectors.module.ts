import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { TOPIC_SPECS } from '@tandem/contracts';
import { MessagingModule } from '@tandem/messaging';
import { LOGGER, ObservabilityModule } from '@tandem/observability';
import { PersistenceModule } from '@tandem/persistence';
import { ConnectorsConfig } from './connectors.config';
import { CrmModule } from './crm/crm.module';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { EventPublisher } from './events/event-publisher.service';
import { EventsController } from './events/events.controller';
import { MailchimpMembersClient } from './marketing/mailchimp-members.client';
import { MARKETING_MEMBERS, MarketingMembersSource } from './marketing/marketing-members.port';
import { MarketingMembersPull } from './marketing/marketing-members-pull.service';
import { MarketingWebhooksRoute } from './marketing/marketing-webhooks.route';
import { LoopbackOperatorAccess, OPERATOR_ACCESS, OperatorAccessGuard } from './operations/operator-access.guard';
import { OperationsController } from './operations/operations.controller';
import { SourceOutput } from './pipeline/source-output.service';
import { RegistryModule } from './registry/registry.module';
import { SANDBOX, SandboxActivity, SandboxHandle, startSandbox } from './sandbox/sandbox.service';
import { SegmentController } from './segment/segment.controller';
import { WriteKeyGuard } from './segment/write-key.guard';

/** The hub's intake: source connectors into the ingest topic, operated by IT. */
@Module({})
export class ConnectorsModule {
  static forRoot(config: ConnectorsConfig, logger: Logger): DynamicModule {
    return {
      module: ConnectorsModule,
      // Global so the feature modules (CRM, and the ERP connector) see the config, sandbox and output.
      global: true,
      imports: [
        ObservabilityModule.forRoot({ service: 'connectors', logger, readinessTimeoutMs: config.READINESS_TIMEOUT_MS }),
        PersistenceModule.forRoot({ url: config.DATABASE_URL, startupTimeoutMs: config.STARTUP_TIMEOUT_MS, applicationName: 'tandem-connectors' }),
        MessagingModule.forRoot({ brokers: config.kafkaBrokers, clientId: 'tandem-connectors', startupTimeoutMs: config.STARTUP_TIMEOUT_MS, topics: TOPIC_SPECS }),
        RegistryModule,
        CrmModule,
        DeadLettersModule,
      ],
      controllers: [EventsController, SegmentController, OperationsController],
      providers: [
        { provide: ConnectorsConfig, useValue: config },
        { provide: SANDBOX, inject: [LOGGER], useFactory: (log: Logger) => startSandbox(config, log) },
        { provide: OPERATOR_ACCESS, useClass: LoopbackOperatorAccess },
        EventPublisher,
        MarketingWebhooksRoute,
        {
          // The configured members API, else the sandbox's simulated list, else none (no marketing resync).
          provide: MARKETING_MEMBERS,
          inject: [SANDBOX],
          useFactory: (sandbox: SandboxHandle | null): MarketingMembersSource | null => {
            if (config.MARKETING_API_URL) return new MailchimpMembersClient(config.MARKETING_API_URL, config.MARKETING_API_KEY, config.MARKETING_LIST_ID);
            return sandbox ? new MailchimpMembersClient(sandbox.marketingUrl, sandbox.marketingApiKey, sandbox.marketing.listId) : null;
          },
        },
        MarketingMembersPull,
        SourceOutput,
        SandboxActivity,
        OperatorAccessGuard,
        WriteKeyGuard,
      ],
      exports: [ConnectorsConfig, SANDBOX, SourceOutput, OPERATOR_ACCESS],
    };
  }
}
