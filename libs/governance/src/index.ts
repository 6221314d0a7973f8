// First: decorators below record type metadata only if reflect-metadata is already loaded.
import 'reflect-metadata';
export * from './auth/jwt';
export * from './auth/roles';
export * from './auth/secret-hash';
export * from './audit/audit-query';
export * from './audit/audit-writer';
export * from './clients/client-store';
export * from './erasure/erasure-suppression';
export * from './policies/fields';
export * from './policies/masking';
export * from './policies/policy-store';
export * from './secrets';
export * from './policies/consent';
export * from './policies/render-profile';
