import type { ServiceDefinition } from '@tandem/observability';
import { ConnectorsConfig } from './connectors.config';
import { ConnectorsModule } from './connectors.module';
import { acceptRawWebhookForms } from './marketing/marketing-webhooks.controller';

/**
 * The connectors app as `npm start` (main.ts) and the benchmark start it. Served by Fastify: its
 * intake is one HTTP request per webhook, and Express's routing and middleware cost more per request.
 */
export const CONNECTORS_SERVICE: ServiceDefinition<ConnectorsConfig> = {
  service: 'connectors',
  config: ConnectorsConfig,
  portSetting: 'CONNECTORS_PORT',
  module: ConnectorsModule.forRoot,
  http: 'fastify',
  configure: (app) => acceptRawWebhookForms(app),
};
