import { DynamicModule, Global, Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import { HealthController } from './health/health.controller';
import { HealthRegistry } from './health/health-registry';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { RequestContextMiddleware } from './http/request-context.middleware';
import { Metrics } from './metrics/metrics';
import { MetricsController } from './metrics/metrics.controller';
import { LOGGER } from './tokens';

export interface ObservabilityOptions {
  service: string;
  logger: Logger;
  /** Per-dependency timeout of the readiness check. */
  readinessTimeoutMs?: number;
}

/**
 * Logging, metrics, health and the error shape for one service. Global, so feature modules can
 * inject the logger, metrics and the health registry without importing it.
 */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const registry = new HealthRegistry();
    registry.setTimeout(options.readinessTimeoutMs ?? 3000);
    return {
      module: ObservabilityModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: LOGGER, useValue: options.logger },
        { provide: Metrics, useValue: new Metrics(options.service) },
        { provide: HealthRegistry, useValue: registry },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
      exports: [LOGGER, Metrics, HealthRegistry],
    };
  }

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  configure(consumer: MiddlewareConsumer): void {
    // On Fastify the same work is done by hooks (applyHttpDefaults), which cost less than middleware.
    if (this.adapterHost.httpAdapter?.getType() === 'fastify') return;
    consumer.apply(RequestContextMiddleware).forRoutes('*path');
  }
}
