import { Kafka } from 'kafkajs';
import { TopicSpec } from '@tandem/contracts';

/**
 * Creates the project's topics with explicit partition counts (the broker never auto-creates),
 * and grows a topic that has fewer partitions than its spec. Safe to run on every start.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.name));
    if (missing.length) {
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
    const present = specs.filter((spec) => existing.has(spec.name));
    if (present.length) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
      const grow = present
        .map((spec) => ({ spec, current: metadata.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0 }))
        .filter(({ spec, current }) => current < spec.partitions)
        .map(({ spec }) => ({ topic: spec.name, count: spec.partitions }));
      if (grow.length) await admin.createPartitions({ topicPartitions: grow });
    }
    return missing.map((spec) => spec.name);
  } finally {
    await admin.disconnect();
  }
}
