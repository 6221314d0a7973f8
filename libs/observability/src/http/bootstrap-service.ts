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
  /** Largest JSON body accepted (default 1mb). */
  bodyLimit?: string;
  /** Extra set-up of the app before it listens (OpenAPI, body limits…). */
  configure?(app: INestApplication, config: C): void;
}

/**
 * Starts one service: validated config, JSON logs, the Nest app, then listen. Any failure on the
 * way is one line on stderr and exit code 1.
 */
export function bootstrapService<C extends CommonConfig>(definition: ServiceDefinition<C>): void {
  const start = async (): Promise<void> => {
    const config = loadConfig(definition.config);
    const logger = createLogger({ service: definition.service, level: config.LOG_LEVEL });
    const app = await NestFactory.create(definition.module(config, logger), {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      bodyParser: false,
    });
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
