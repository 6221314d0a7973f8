import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics';

/**
 * Records one answered request: an observation of the latency histogram and an access-log line
 * (none for the health and metrics routes). `route` is the route pattern, never the concrete path
 * or query: those can carry an id, an email or a phone.
 */
export type AccessRecorder = (method: string, route: string, status: number, seconds: number, correlationId: string | undefined) => void;

/**
 * The one access log and latency histogram of a service, for Fastify's hook and for a handler
 * served ahead of the framework (see `serveAheadOfFastify`), so both write the same line.
 */
export function createAccessRecorder(logger: Logger, metrics: Metrics): AccessRecorder {
  // The access line's fields are fixed and carry no personal data: it skips the redaction every other line gets.
  const accessLog = logger.child({}, { redact: [] });
  return (method, route, status, seconds, correlationId) => {
    metrics.httpRequestDuration.observe({ method, route, status: String(status) }, seconds);
    if (route !== '/health/live' && route !== '/metrics' && accessLog.isLevelEnabled('info')) {
      accessLog.info({ correlationId, method, route, status, ms: Math.round(seconds * 1000) }, 'request');
    }
  };
}
