import { Kafka, logLevel } from 'kafkajs';
import { TOPIC_SPECS } from '../../libs/contracts/src/topics/topics';

/**
 * Runs once before the end-to-end suites: the project's topics exist before any suite reads their
 * offsets, whichever suite jest happens to run first (the apps would create them too, but a suite
 * may look at a topic before it starts an app).
 */
export default async function globalSetup(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const admin = new Kafka({ brokers, clientId: 'e2e-global-setup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = TOPIC_SPECS.filter((spec) => !existing.has(spec.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.name,
          numPartitions: spec.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
