/**
 * Errors that say "a dependency is unavailable right now", not "this message is bad". Such a
 * failure is retried until the dependency returns, however long that takes, and never sends the
 * message to the dead letters: an outage must not empty the partition into the dead-letter topic.
 */
export function isTransientError(error: unknown): boolean {
  const err = error as { code?: unknown; name?: string; retriable?: boolean; driverError?: unknown };
  if (err?.driverError) return isTransientError(err.driverError);
  const code = typeof err?.code === 'string' ? err.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  // PostgreSQL SQLSTATE classes: 08 connection, 53 resources, 57 operator intervention
  // (shutdown, statement timeout), 40001/40P01 serialization failure and deadlock, 55P03 lock timeout.
  if (/^(08|53|57)/.test(code) || code === '40001' || code === '40P01' || code === '55P03') return true;
  if (err?.name?.startsWith('KafkaJS') && err.retriable !== false) return true;
  const message = (error as Error)?.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(message);
}
