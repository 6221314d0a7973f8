import { Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AuditWriter, ClientStore, PolicyStore } from '@tandem/governance';

/** The governance lib's stores, built on the app's DataSource. */
export const GOVERNANCE_PROVIDERS: Provider[] = [
  { provide: ClientStore, inject: [DataSource], useFactory: (db: DataSource) => new ClientStore(db) },
  { provide: PolicyStore, inject: [DataSource], useFactory: (db: DataSource) => new PolicyStore(db) },
  // Straight on the pg pool under the DataSource: the audit insert runs hundreds of times a second.
  { provide: AuditWriter, inject: [DataSource], useFactory: (db: DataSource) => new AuditWriter((db.driver as unknown as { master: Pool }).master) },
];
