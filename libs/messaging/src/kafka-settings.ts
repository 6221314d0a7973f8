import { Kafka, logLevel, LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
}

/**
 * A kafkajs client whose own log lines go to the service's JSON logger. kafkajs is chatty at
 * INFO (every group join); WARN and above are what an operator needs.
 */
export function createKafka(settings: KafkaSettings, logger: Logger, overrides: { connectionTimeout?: number; requestTimeout?: number; retries?: number } = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: overrides.connectionTimeout ?? 3000,
    requestTimeout: overrides.requestTimeout ?? 30000,
    retry: { retries: overrides.retries ?? 5, initialRetryTime: 300, maxRetryTime: 10000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      const fields = { kafka: { namespace: entry.namespace, broker: rest.broker, groupId: rest.groupId, error: rest.error } };
      if (entry.level <= logLevel.ERROR) logger.error(fields, message);
      else if (entry.level === logLevel.WARN) logger.warn(fields, message);
      else logger.debug(fields, message);
    },
  });
}

/** `cannot reach Kafka at 127.0.0.1:9092 after 30 s`, the line an operator acts on. */
export class KafkaUnreachableError extends Error {
  override readonly name = 'KafkaUnreachableError';
  constructor(brokers: string[], timeoutMs: number, cause: unknown) {
    super(`cannot reach Kafka at ${brokers.join(',')} after ${Math.round(timeoutMs / 1000)} s: ${(cause as Error)?.message ?? cause}`);
  }
}
