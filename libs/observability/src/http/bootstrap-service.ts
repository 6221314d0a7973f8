import 'reflect-metadata';
import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { CommonConfig } from '../config/common-config';
import { loadConfig } from '../config/load-config';
import { createLogger } from '../logging/logger';
import { PinoNestLogger } from '../logging/nest-logger';
import { applyHttpDefaults, exitOnStartupFailure, listen } from './start-http-app';

export interface ServiceDefinition<C extends CommonConfig> {
  service: string;
  config: new () => C;
  /** Name of the port setting, e.g. `API_PORT`; its value is read from the config. */
  portSetting: keyof C & string;
  module(config: C, logger: Logger): DynamicModule;
  /** Largest JSON body accepted, in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * The HTTP server under Nest: Express (default) or Fastify, which costs about a quarter of the CPU
   * per request (measured on the API's profile lookup). Same error shape, correlation ids, access log
   * and metrics on both.
   */
  http?: 'express' | 'fastify';
  /** Log lines gathered into one write up to this many bytes (see `createLogger`); default one write a line. */
  logBufferBytes?: number;
  /** Extra set-up of the app before it listens (OpenAPI, body limits…). */
  configure?(app: INestApplication, config: C): void;
}

// No Fastify logger (pino lines come from the service's own hooks), no Nest middleware (hooks instead),
// ids in paths up to 1,000 characters (Fastify's default of 100 would answer a longer one with 414).
const FASTIFY_OPTIONS = { logger: false, skipMiddie: true, routerOptions: { maxParamLength: 1000, ignoreTrailingSlash: true } };

/**
 * Starts one service: validated config, JSON logs, the Nest app, then listen. Any failure on the
 * way is one line on stderr and exit code 1.
 */
export function bootstrapService<C extends CommonConfig>(definition: ServiceDefinition<C>): void {
  const start = async (): Promise<void> => {
    const config = loadConfig(definition.config);
    const logger = createLogger({ service: definition.service, level: config.LOG_LEVEL, bufferBytes: definition.logBufferBytes });
    const options = { logger: new PinoNestLogger(logger), abortOnError: false, bodyParser: false };
    const module = definition.module(config, logger);
    // Loaded only by the services that use it.
    const app =
      definition.http === 'fastify'
        ? await NestFactory.create(module, new (await import('@nestjs/platform-fastify')).FastifyAdapter(FASTIFY_OPTIONS), options)
        : await NestFactory.create(module, options);
    applyHttpDefaults(app, { bodyLimit: definition.bodyLimit });
    definition.configure?.(app, config);
    await listen(app, logger, {
      service: definition.service,
      host: config.HOST,
      port: Number(config[definition.portSetting]),
      portSetting: definition.portSetting,
    });
  };
  start().catch(exitOnStartupFailure(definition.service));
}
