import type { FastifyInstance } from 'fastify';
import type { ServiceDefinition } from '@tandem/observability';
import { ConnectorsConfig } from './connectors.config';
import { ConnectorsModule } from './connectors.module';
import { MarketingWebhooksRoute } from './marketing/marketing-webhooks.route';

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
  // The webhook route is Fastify's own (see MarketingWebhooksRoute).
  configure: (app) => app.get(MarketingWebhooksRoute).mount(app.getHttpAdapter().getInstance() as FastifyInstance),
};
