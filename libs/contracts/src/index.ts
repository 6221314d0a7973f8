export * from './customer-event/customer-event.v1';
export * from './customer-event/event-id';
export * from './customer-event/validate';
export * from './topics/topics';
