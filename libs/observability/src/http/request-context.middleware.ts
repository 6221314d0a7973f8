import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { CORRELATION_HEADER, currentCorrelationId, withCorrelation } from '../logging/correlation';
import { Metrics } from '../metrics/metrics';
import { LOGGER } from '../tokens';

/**
 * Gives each request a correlation id (the caller's, if it sent a sane one), echoes it in the
 * response, records latency and writes one access-log line. The query string is never logged:
 * lookups carry emails and phone numbers there.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const incoming = request.header(CORRELATION_HEADER);
    withCorrelation(incoming, () => {
      const correlationId = currentCorrelationId()!;
      response.setHeader(CORRELATION_HEADER, correlationId);
      const started = process.hrtime.bigint();
      response.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const route = routeOf(request);
        this.metrics.httpRequestDuration.observe({ method: request.method, route, status: String(response.statusCode) }, seconds);
        if (route !== '/health/live' && route !== '/metrics') {
          this.logger.info(
            { correlationId, method: request.method, route, status: response.statusCode, ms: Math.round(seconds * 1000) },
            'request',
          );
        }
      });
      next();
    });
  }
}

// The route pattern, not the concrete path: a path can carry an id or an email.
function routeOf(request: Request): string {
  const pattern = (request as Request & { route?: { path?: string } }).route?.path;
  return pattern ? `${request.baseUrl}${pattern}` : 'unmatched';
}
