import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AuditWriter, ClientStore, PolicyStore } from '@tandem/governance';
import { ApiConfig } from '../api.config';
import { keptOpenPool } from '../kept-open-pool';

/**
 * The audit log's own connection: with group commit one insert is in flight at a time, so one
 * connection is enough, it never waits behind lookups for a pool slot, and it can carry its own
 * durability setting (API_AUDIT_DURABLE).
 */
@Injectable()
export class AuditConnection implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(ApiConfig) config: ApiConfig) {
    // The insert takes arrays: without a forced generic plan it is planned anew for every batch.
    const durability = config.API_AUDIT_DURABLE === 'false' ? ' -c synchronous_commit=off' : '';
    this.pool = keptOpenPool(config, 'tandem-api-audit', 1, `-c plan_cache_mode=force_generic_plan${durability}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/** The governance lib's stores, built on the app's DataSource. */
export const GOVERNANCE_PROVIDERS: Provider[] = [
  { provide: ClientStore, inject: [DataSource], useFactory: (db: DataSource) => new ClientStore(db) },
  { provide: PolicyStore, inject: [DataSource], useFactory: (db: DataSource) => new PolicyStore(db) },
  AuditConnection,
  { provide: AuditWriter, inject: [AuditConnection], useFactory: (connection: AuditConnection) => new AuditWriter(connection.pool, { prepared: true }) },
];
