import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';

/** The one error shape every HTTP route returns. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  correlationId?: string;
  /** Present on 500s only: quote it to operators, who find the details in the logs under it. */
  errorId?: string;
}

/** A client error in the one shape, its `error` the status's reason phrase. */
export function errorBody(statusCode: number, message: string, correlationId: string | undefined): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, correlationId };
}

/**
 * A 500 that says nothing of its cause: the cause is logged under a new error id, which the body
 * carries for the caller to quote.
 */
export function internalErrorBody(logger: Logger, exception: unknown, correlationId: string | undefined): ErrorBody {
  const errorId = randomUUID();
  const error = exception as Error | undefined;
  logger.error({ correlationId, errorId, err: { type: error?.name, message: error?.message, stack: error?.stack } }, 'unhandled error');
  return { ...errorBody(500, 'Internal error; quote the errorId to the operators', correlationId), errorId };
}
