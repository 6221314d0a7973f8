// First, like every lib: decorators in the libs this one loads need reflect-metadata.
import 'reflect-metadata';
export * from './crm/crm-simulator';
export * from './erp/debezium-stream';
export * from './generator/customer-base';
export * from './marketing/marketing-webhooks';
export * from './marketing/marketing-list-simulator';
