import { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditWriter, ClientStore, PolicyStore } from '@tandem/governance';

/** The governance lib's stores, built on the app's DataSource. */
export const GOVERNANCE_PROVIDERS: Provider[] = [
  { provide: ClientStore, inject: [DataSource], useFactory: (db: DataSource) => new ClientStore(db) },
  { provide: PolicyStore, inject: [DataSource], useFactory: (db: DataSource) => new PolicyStore(db) },
  { provide: AuditWriter, inject: [DataSource], useFactory: (db: DataSource) => new AuditWriter(db) },
];
