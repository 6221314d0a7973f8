import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What travels with one unit of work (an HTTP request, a Kafka batch) for log correlation. */
export interface CorrelationContext {
  correlationId: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** Header used on HTTP requests and Kafka messages to carry the correlation id. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** Runs `fn` with a correlation id visible to every log line it writes. */
export function withCorrelation<T>(correlationId: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: sanitizeCorrelationId(correlationId) ?? randomUUID() }, fn);
}

/** The correlation id of the current unit of work, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

// A caller-supplied id ends up in every log line: keep it short and printable so it cannot
// smuggle data or forge log structure.
function sanitizeCorrelationId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return /^[A-Za-z0-9._:-]{1,100}$/.test(value) ? value : undefined;
}
