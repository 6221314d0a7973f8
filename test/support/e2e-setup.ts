// End-to-end tests start processes and wait on Kafka and PostgreSQL: seconds, not milliseconds.
jest.setTimeout(120000);
