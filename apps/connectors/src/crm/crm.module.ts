import { Module } from '@nestjs/common';
import { ConnectorsConfig } from '../connectors.config';
import { SANDBOX, SandboxHandle } from '../sandbox/sandbox.service';
import { CrmConnector } from './crm-connector.service';
import { CRM_SOURCE, CrmSource } from './crm-source.port';
import { HubSpotCrmClient } from './hubspot-crm.client';

/** The CRM poller; its source is the configured CRM, else the sandbox's simulated one, else none. */
@Module({
  providers: [
    {
      provide: CRM_SOURCE,
      inject: [ConnectorsConfig, SANDBOX],
      useFactory: (config: ConnectorsConfig, sandbox: SandboxHandle | null): CrmSource | null => {
        const baseUrl = config.CRM_BASE_URL || sandbox?.crmUrl;
        return baseUrl ? new HubSpotCrmClient(baseUrl, config.CRM_TOKEN || null) : null;
      },
    },
    CrmConnector,
  ],
  exports: [CrmConnector],
})
export class CrmModule {}
