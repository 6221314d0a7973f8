import { Kafka, logLevel } from 'kafkajs';
import { TOPIC_SPECS } from '../../libs/contracts/src/topics/topics';
import { ensureTopics } from '../../libs/messaging/src/topic-admin';

/**
 * Runs once before the end-to-end suites: the project's topics exist before any suite reads their
 * offsets, whichever suite jest happens to run first (the apps would create them too, but a suite
 * may look at a topic before it starts an app).
 */
export default async function globalSetup(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  await ensureTopics(new Kafka({ brokers, clientId: 'e2e-global-setup', logLevel: logLevel.NOTHING }), TOPIC_SPECS);
}
