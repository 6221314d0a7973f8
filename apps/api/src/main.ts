import 'reflect-metadata';
import { BadRequestException } from '@nestjs/common';
import { addBodyParser, addStreamedBody, bootstrapService } from '@tandem/observability';
import { ApiConfig } from './api.config';
import { ApiModule } from './api.module';
import { RECIPIENT_LIST_TYPES } from './audiences/recipient-input';
import { setUpOpenApi } from './docs/openapi';

/** Fields a token request has; more than this is not a token request. */
const FORM_PARAMETER_LIMIT = 20;

bootstrapService({
  service: 'api',
  config: ApiConfig,
  portSetting: 'API_PORT',
  module: ApiModule.forRoot,
  // The profile lookup is the hot path: Fastify serves it with about a quarter of Express's CPU.
  http: 'fastify',
  // One access line a request: written 8 KiB at a time (at most 250 ms late) instead of one write each.
  logBufferBytes: 8192,
  configure(app, config) {
    // OAuth2 token requests are forms (RFC 6749 §4.4.2).
    addBodyParser(app, 'application/x-www-form-urlencoded', 10 * 1024, parseForm);
    // Recipient lists are read as a stream by the audience route, which bounds them by rows.
    addStreamedBody(app, RECIPIENT_LIST_TYPES);
    if (config.API_DOCS === 'true') setUpOpenApi(app);
  },
});

/** A form as an object; a field given twice becomes an array, which validation then refuses. */
function parseForm(body: string): Record<string, string | string[]> {
  const fields = new Map<string, string | string[]>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > FORM_PARAMETER_LIMIT) throw new BadRequestException(`Request body has more than ${FORM_PARAMETER_LIMIT} form fields`);
    if (name.includes('\u0000') || value.includes('\u0000')) throw new BadRequestException('Request body holds a NUL character (%00), which no field may hold');
    const seen = fields.get(name);
    fields.set(name, seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]);
  }
  return Object.fromEntries(fields);
}
