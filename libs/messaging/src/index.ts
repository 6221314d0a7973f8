// First: decorators below record type metadata only if reflect-metadata is already loaded.
import 'reflect-metadata';
export * from './batch-consumer';
export * from './event-producer';
export * from './kafka-settings';
export * from './kafka.health';
export * from './messaging.module';
export * from './partitioner';
export * from './retry';
export * from './topic-admin';
export * from './transient';
