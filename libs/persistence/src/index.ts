// First: decorators below record type metadata only if reflect-metadata is already loaded.
import 'reflect-metadata';
export * from './connect';
export * from './data-source';
export * from './database-url';
export * from './entities/processed-event.entity';
export * from './entities/source-record.entity';
export * from './health/database.health';
export * from './persistence.module';
export * from './schema';
