// First: decorators below record type metadata only if reflect-metadata is already loaded.
import 'reflect-metadata';
export * from './config/load-config';
export * from './config/common-config';
export * from './health/health-registry';
export * from './http/bootstrap-service';
export * from './http/error-body';
export * from './http/fastify-http';
export * from './http/free-port';
export * from './http/start-http-app';
export * from './logging/correlation';
export * from './logging/logger';
export * from './logging/nest-logger';
export * from './metrics/metrics';
export * from './observability.module';
export * from './tokens';
export * from './http/validation';
