// First: decorators below record type metadata only if reflect-metadata is already loaded.
import 'reflect-metadata';
export * from './customer-event/customer-event.v1';
export * from './customer-event/event-id';
export * from './customer-event/validate';
export * from './topics/topics';
export * from './webhooks/webhook-signature';
