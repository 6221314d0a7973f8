import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthRegistry } from '@tandem/observability';
import { connectDatabase } from './connect';
import { DatabaseOptions } from './data-source';
import { DatabaseHealthIndicator } from './health/database.health';

export interface PersistenceModuleOptions extends DatabaseOptions {
  startupTimeoutMs: number;
}

/** Provides the connected `DataSource` and registers the database readiness check. */
@Global()
@Module({})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(options: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [HealthRegistry],
          useFactory: async (health: HealthRegistry) => {
            const dataSource = await connectDatabase({ ...options, timeoutMs: options.startupTimeoutMs });
            health.register(new DatabaseHealthIndicator(dataSource));
            return dataSource;
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
