// First: decorators below record type metadata only if reflect-metadata is already loaded.
import 'reflect-metadata';
export * from './connect';
export * from './data-source';
export * from './database-url';
export * from './entities/source-record.entity';
export * from './entities/profile.entity';
export * from './entities/identifier.entity';
export * from './entities/profile-link.entity';
export * from './entities/link-constraint.entity';
export * from './entities/review-item.entity';
export * from './entities/stewardship-action.entity';
export * from './entities/consent.entity';
export * from './entities/profile-outbox.entity';
export * from './entities/resolution-log.entity';
export * from './health/database.health';
export * from './persistence.module';
export * from './schema';
