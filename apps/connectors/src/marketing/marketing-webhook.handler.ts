import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { AccessRecorder, CORRELATION_HEADER, correlationIdFor, discardBody, DRAIN_LIMIT, errorBody, internalErrorBody } from '@tandem/observability';
import { MARKETING_WEBHOOK_MAX_BYTES, MARKETING_WEBHOOKS_PATH, WebhookAnswer } from './marketing-webhooks.route';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json; charset=utf-8';
const METHOD = 'POST';
/** Fastify's answer to a body over its parser's limit, through the app's error filter, unchanged. */
const TOO_LARGE_MESSAGE = 'Request body is too large';

/** Takes a webhook's raw bytes: `MarketingWebhooksRoute.accept`. */
export type WebhookIntake = (raw: Buffer, signature: string | undefined, correlationId: string) => Promise<WebhookAnswer>;

/**
 * `POST /v1/webhooks/marketing` with a form-encoded body, served by node:http itself on the app's
 * port, ahead of Fastify and Nest (`serveAheadOfFastify`), because each webhook is one HTTP request
 * carrying one event: at thousands a second, the framework's per-request work (Fastify's routing,
 * hooks, request and reply objects, its body parser binding an AsyncResource per request) and an
 * AsyncLocalStorage context for the correlation id cost the connector several times the webhook's
 * own work (signature, mapping, Kafka). Here the body is read into one buffer, the correlation id
 * is passed along explicitly, and the answer is written in one `writeHead` + `end`.
 *
 * What the framework did for this route is done here, with the same result for the caller: the
 * incoming `x-correlation-id` kept (or a new one) and echoed in the answer and carried to the
 * Kafka message; a body over 256 KB read and dropped (up to 16 MB) before its 413, so the client
 * can read it; errors in the `{ statusCode, error, message, correlationId }` shape, a 500 (Kafka did
 * not acknowledge) logged under an error id; one access-log line and one latency observation per
 * request, labelled with the route pattern. The webhook's own logic is the route's {@link WebhookIntake}.
 */
export class MarketingWebhookHandler {
  constructor(
    private readonly intake: WebhookIntake,
    private readonly recordAccess: AccessRecorder,
    private readonly logger: Logger,
  ) {}

  /** Only form-encoded bodies come here; any other content type goes through the framework's parsers. */
  static accepts(request: IncomingMessage): boolean {
    const type = request.headers['content-type'];
    if (type === undefined) return false;
    const semicolon = type.indexOf(';');
    return (semicolon < 0 ? type : type.slice(0, semicolon)).trim().toLowerCase() === FORM;
  }

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    const started = performance.now();
    const incoming = request.headers[CORRELATION_HEADER];
    const correlationId = correlationIdFor(typeof incoming === 'string' ? incoming : undefined);
    const declared = Number(request.headers['content-length']);
    if (declared > MARKETING_WEBHOOK_MAX_BYTES) return this.tooLarge(request, response, declared, started, correlationId);

    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MARKETING_WEBHOOK_MAX_BYTES) chunks.push(chunk);
      else if (!response.headersSent) {
        // A body sent without a length (chunked) went over the limit: answered at once, as Fastify did, and the connection ends.
        chunks.length = 0;
        this.answer(response, 413, JSON.stringify(errorBody(413, TOO_LARGE_MESSAGE, correlationId)), started, correlationId, undefined, true);
      }
    });
    request.on('end', () => {
      if (size > MARKETING_WEBHOOK_MAX_BYTES) return;
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const signature = request.headers[WEBHOOK_SIGNATURE_HEADER];
      this.intake(raw, typeof signature === 'string' ? signature : undefined, correlationId).then(
        (answer) => this.answer(response, answer.status, answer.body, started, correlationId, answer.retryAfter),
        (error: unknown) => this.answer(response, 500, JSON.stringify(internalErrorBody(this.logger, error, correlationId)), started, correlationId),
      );
    });
    // A client gone before its body arrived is answered nothing (Node's server closes the socket).
    request.on('error', () => undefined);
  };

  private tooLarge(request: IncomingMessage, response: ServerResponse, size: number, started: number, correlationId: string): void {
    const body = JSON.stringify(errorBody(413, TOO_LARGE_MESSAGE, correlationId));
    const answer = () => this.answer(response, 413, body, started, correlationId, undefined, true);
    if (size > DRAIN_LIMIT) answer();
    else discardBody(request, answer);
  }

  private answer(response: ServerResponse, status: number, body: string, started: number, correlationId: string, retryAfter?: string, close = false): void {
    if (response.headersSent || response.destroyed) return;
    const headers = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body)), CORRELATION_HEADER, correlationId];
    if (retryAfter) headers.push('retry-after', retryAfter);
    // After a 413, as Fastify did: the connection ends after the answer (over DRAIN_LIMIT the rest of the body was not read).
    if (close) headers.push('connection', 'close');
    response.writeHead(status, headers);
    response.end(body);
    this.recordAccess(METHOD, MARKETING_WEBHOOKS_PATH, status, (performance.now() - started) / 1000, correlationId);
  }
}
