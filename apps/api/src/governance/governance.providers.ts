import { Inject, Injectable, OnApplicationShutdown, Provider } from '@nestjs/common';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AuditWriter, ClientStore, PolicyStore } from '@tandem/governance';
import { ApiConfig } from '../api.config';

/**
 * The audit log's own connection: with group commit one insert is in flight at a time, so one
 * connection is enough, it never waits behind lookups for a pool slot, and it can carry its own
 * durability setting (API_AUDIT_DURABLE).
 */
@Injectable()
export class AuditConnection implements OnApplicationShutdown {
  readonly pool: Pool;

  constructor(@Inject(ApiConfig) config: ApiConfig) {
    this.pool = new Pool({
      connectionString: config.DATABASE_URL,
      max: 1,
      // Kept open: a fresh backend pays a page fault on each shared buffer it touches first.
      idleTimeoutMillis: 0,
      application_name: 'tandem-api-audit',
      // The insert takes arrays: without a forced generic plan it is planned anew for every batch.
      options: `-c plan_cache_mode=force_generic_plan${config.API_AUDIT_DURABLE === 'false' ? ' -c synchronous_commit=off' : ''}`,
    });
    // A broken idle connection is replaced on the next insert; the error itself needs no handling.
    this.pool.on('error', () => undefined);
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
