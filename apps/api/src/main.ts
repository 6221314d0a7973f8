import 'reflect-metadata';
import { urlencoded } from 'express';
import { bootstrapService } from '@tandem/observability';
import { ApiConfig } from './api.config';
import { ApiModule } from './api.module';
import { setUpOpenApi } from './docs/openapi';

bootstrapService({
  service: 'api',
  config: ApiConfig,
  portSetting: 'API_PORT',
  module: ApiModule.forRoot,
  configure(app, config) {
    // OAuth2 token requests are forms (RFC 6749 §4.4.2).
    app.use(urlencoded({ extended: false, limit: '10kb', parameterLimit: 20 }));
    // Answers are per caller and purpose: an ETag (a hash of every body) buys nothing and costs CPU.
    const express = app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void };
    express.set('etag', false);
    express.set('x-powered-by', false);
    if (config.API_DOCS === 'true') setUpOpenApi(app);
  },
});
