import { Admin, Kafka } from 'kafkajs';
import { HealthIndicator } from '@tandem/observability';

/**
 * Ready when the cluster answers a metadata request. Uses its own client with short timeouts
 * and no retries, so a broker that is gone shows as down within the readiness timeout.
 */
export class KafkaHealthIndicator implements HealthIndicator {
  readonly name = 'kafka';
  private admin?: Admin;

  constructor(private readonly kafka: Kafka, private readonly brokers: string[]) {}

  async check(): Promise<void> {
    try {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      const cluster = await this.admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no broker in the cluster metadata');
    } catch (error) {
      // Start from a fresh connection next time: kafkajs keeps a dead socket otherwise.
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      throw new Error(`cannot reach Kafka at ${this.brokers.join(',')}: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
