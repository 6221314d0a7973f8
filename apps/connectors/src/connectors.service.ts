import type { FastifyInstance } from 'fastify';
import { createAccessRecorder, LOGGER, Metrics, serveAheadOfFastify, ServiceDefinition } from '@tandem/observability';
import { ConnectorsConfig } from './connectors.config';
import { ConnectorsModule } from './connectors.module';
import { MarketingWebhookHandler } from './marketing/marketing-webhook.handler';
import { MARKETING_WEBHOOKS_PATH, MarketingWebhooksRoute } from './marketing/marketing-webhooks.route';

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
  // One access line per webhook: written 8 KiB at a time (at most 250 ms late) instead of one write each.
  logBufferBytes: 8192,
  configure: (app) => {
    // The webhook route is Fastify's own (see MarketingWebhooksRoute), its form POSTs served ahead of the framework.
    const route = app.get(MarketingWebhooksRoute);
    route.mount(app.getHttpAdapter().getInstance() as FastifyInstance);
    const handler = new MarketingWebhookHandler((raw, signature, correlationId) => route.accept(raw, signature, correlationId), createAccessRecorder(app.get(LOGGER), app.get(Metrics)), app.get(LOGGER));
    serveAheadOfFastify(app, { method: 'POST', path: MARKETING_WEBHOOKS_PATH, accepts: MarketingWebhookHandler.accepts }, handler.handle);
  },
};
