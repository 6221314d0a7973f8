import { BadRequestException, INestApplication, PayloadTooLargeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import type { Logger } from 'pino';
import { CORRELATION_HEADER, currentCorrelationId, withCorrelation } from '../logging/correlation';
import { Metrics } from '../metrics/metrics';
import { LOGGER } from '../tokens';
import { applyFastifyDefaults } from './fastify-http';
import { TandemValidationPipe } from './validation';

export interface ListenOptions {
  service: string;
  host: string;
  port: number;
  /** Name of the setting that chose the port, so a clash message tells how to change it. */
  portSetting: string;
}

/** A port clash or similar start-up failure, described in one line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * What every service uses: a JSON body parser whose failures say what is wrong in plain words,
 * DTOs validated with unknown fields refused and types converted, and graceful shutdown.
 */
export function applyHttpDefaults(app: INestApplication, options: { bodyLimit?: number } = {}): void {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  if (app.getHttpAdapter().getType() === 'fastify') {
    applyFastifyDefaults(app, { jsonBodyLimit: bodyLimit, logger: app.get(LOGGER), metrics: app.get(Metrics) });
  } else {
    applyExpressDefaults(app, bodyLimit);
  }
  app.useGlobalPipes(new TandemValidationPipe());
  app.enableShutdownHooks();
}

function applyExpressDefaults(app: INestApplication, bodyLimit: number): void {
  // The correlation id is set before the body is parsed, so a refused body's error carries it too;
  // the request-context middleware later reads the same id back from the header.
  app.use((request: Request, _response: Response, next: NextFunction) => {
    withCorrelation(request.header(CORRELATION_HEADER), () => {
      request.headers[CORRELATION_HEADER] = currentCorrelationId();
      next();
    });
  });
  app.use(json({ limit: bodyLimit }));
  app.use((error: Error & { type?: string; limit?: number }, _request: Request, _response: Response, next: NextFunction) => {
    if (error.type === 'entity.parse.failed') return next(new BadRequestException('Request body is not valid JSON'));
    if (error.type === 'entity.too.large') return next(new PayloadTooLargeException(`Request body is larger than the limit of ${error.limit} bytes`));
    next(error);
  });
}

/**
 * Listens on host:port. A port held by another program is reported with the port and who wanted
 * it; it is never shared (`exclusive`) and the service does not fall back to another port.
 */
export async function listen(app: INestApplication, logger: Logger, options: ListenOptions): Promise<string> {
  try {
    await app.listen({ port: options.port, host: options.host, exclusive: true } as never);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(
        `port ${options.port} on ${options.host} is already in use by another program; tandem ${options.service} wanted it (set ${options.portSetting} to another port)`,
      );
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new StartupError(`cannot bind ${options.host}:${options.port} for tandem ${options.service}: no such local address`);
    }
    throw error;
  }
  const url = `http://${options.host}:${options.port}`;
  logger.info({ url }, `${options.service} listening`);
  return url;
}

/**
 * The last word of a process that cannot start: one line on stderr, exit code 1. Known causes
 * (bad settings, taken ports, unreachable dependencies) carry their own message; anything else
 * is reported by name and message only.
 */
export function exitOnStartupFailure(service: string) {
  return (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tandem ${service} cannot start: ${message}\n`);
    process.exit(1);
  };
}
