import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@tandem/contracts';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/**
 * A consumer group of its own for this run's identity app, placed at the current end of the ingest
 * topic: the app then reads only what this suite produces, however much other suites or benchmarks
 * wrote before (a fresh group would otherwise start at the beginning).
 */
export async function identityGroupAtEnd(prefix: string): Promise<string> {
  const groupId = `${prefix}-${Date.now().toString(36)}`;
  const admin = new Kafka({ brokers, clientId: 'e2e-connectors-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPICS.customerEvents);
    await admin.setOffsets({ groupId, topic: TOPICS.customerEvents, partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })) });
  } finally {
    await admin.disconnect();
  }
  return groupId;
}
