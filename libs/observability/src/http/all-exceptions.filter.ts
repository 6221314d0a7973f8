import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { CORRELATION_HEADER, currentCorrelationId } from '../logging/correlation';
import { LOGGER } from '../tokens';
import { ErrorBody, errorBody, internalErrorBody } from './error-body';

/**
 * Maps every error to `{ statusCode, error, message, correlationId }`. Client errors say what is
 * wrong; a 500 says nothing of its cause and logs it under an error id instead.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const adapter = this.adapterHost.httpAdapter;
    // Errors raised outside the request's async context (a server hook) still carry the id the request got first.
    const headers = http.getRequest<{ headers?: Record<string, unknown> }>()?.headers ?? {};
    const header = headers[CORRELATION_HEADER];
    const body = this.toBody(exception, currentCorrelationId() ?? (typeof header === 'string' ? header : undefined));
    // The server's bare "Unsupported Media Type" names no type: say which one was refused.
    if (body.statusCode === HttpStatus.UNSUPPORTED_MEDIA_TYPE && body.message === STATUS_CODES[HttpStatus.UNSUPPORTED_MEDIA_TYPE]) {
      body.message = `a body of Content-Type ${String(headers['content-type']).split(';')[0].slice(0, 100)} is not accepted here (send application/json)`;
    }
    const response = http.getResponse<unknown>();
    if (adapter.isHeadersSent(response)) return;
    adapter.reply(response, body, body.statusCode);
  }

  private toBody(exception: unknown, correlationId: string | undefined): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return errorBody(status, messageOf(exception.getResponse()), correlationId);
    }
    // body-parser and similar middleware throw plain errors carrying an HTTP status.
    const status = (exception as { status?: number; statusCode?: number })?.status ?? (exception as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return errorBody(status, middlewareMessage(exception as Error & { type?: string }), correlationId);
    }
    return internalErrorBody(this.logger, exception, correlationId);
  }
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
