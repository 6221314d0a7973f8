import { DynamicModule, Module } from '@nestjs/common';
import { loadConfig } from '@tandem/observability';
import { ErpConfig } from './erp.config';
import { ErpConnector } from './erp-connector.service';

/** The ERP connector (Debezium change events → canonical events). Needs RegistryModule. */
@Module({})
export class ErpModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: ErpModule,
      providers: [{ provide: ErpConfig, useValue: loadConfig(ErpConfig, env) }, ErpConnector],
      exports: [ErpConnector],
    };
  }
}
