import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { currentCorrelationId } from '../logging/correlation';
import { LOGGER } from '../tokens';
import { ErrorBody } from './error-body';

/**
 * Maps every error to `{ statusCode, error, message, correlationId }`. Client errors say what is
 * wrong; a 500 says nothing of its cause and logs it under an error id instead.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (response.headersSent) return;
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    const correlationId = currentCorrelationId();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { statusCode: status, error: reason(status), message: messageOf(exception.getResponse()), correlationId };
    }
    // body-parser and similar middleware throw plain errors carrying an HTTP status.
    const status = (exception as { status?: number; statusCode?: number })?.status ?? (exception as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { statusCode: status, error: reason(status), message: middlewareMessage(exception as Error & { type?: string }), correlationId };
    }
    const errorId = randomUUID();
    this.logger.error({ errorId, err: { type: (exception as Error)?.name, message: (exception as Error)?.message, stack: (exception as Error)?.stack } }, 'unhandled error');
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: reason(HttpStatus.INTERNAL_SERVER_ERROR),
      message: 'Internal error; quote the errorId to the operators',
      correlationId,
      errorId,
    };
  }
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function messageOf(response: string | object): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return JSON.stringify(response);
}

function middlewareMessage(error: Error & { type?: string; limit?: number }): string {
  switch (error.type) {
    case 'entity.parse.failed':
      return 'Request body is not valid JSON';
    case 'entity.too.large':
      return `Request body is larger than the limit of ${error.limit ?? 'the configured'} bytes`;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'Request body encoding is not supported';
    default:
      return error.message;
  }
}
