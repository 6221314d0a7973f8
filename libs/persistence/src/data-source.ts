import { DataSourceOptions } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './schema';

export interface DatabaseOptions {
  url: string;
  /** Connections in this process's pool. */
  poolSize?: number;
  applicationName?: string;
}

/** TypeORM options for the hub's schema: migrations only, never `synchronize`. */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    logging: false,
    applicationName: options.applicationName ?? 'tandem',
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      // A statement stuck behind a lock should fail and be retried, not hang a consumer forever.
      statement_timeout: 60000,
    },
  };
}
