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
  return storage.run({ correlationId: correlationIdFor(correlationId) }, fn);
}

/**
 * The correlation id a unit of work gets from the id it came with: that one if it is short and
 * printable, a new one otherwise. For code that carries the id itself instead of through
 * {@link withCorrelation}.
 */
export function correlationIdFor(incoming: string | undefined): string {
  return sanitizeCorrelationId(incoming) ?? randomUUID();
}

/** The correlation id of the current unit of work, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

// A caller-supplied id ends up in every log line: keep it short and printable so it cannot
// smuggle data or forge log structure.
function sanitizeCorrelationId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return SANE_ID.test(value) ? value : undefined;
}
