import { HttpStatus, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { currentCorrelationId, errorBody, LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { PushedConnector } from '../registry/pushed-connector';
import { decodeWebhookForm, mapMarketingWebhook } from './marketing-webhook.mapper';

export const MARKETING_WEBHOOKS_PATH = '/v1/webhooks/marketing';
/** The largest webhook body taken, in bytes; a larger one is answered 413. */
export const MARKETING_WEBHOOK_MAX_BYTES = 256 * 1024;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json; charset=utf-8';

/** What a webhook is answered: a status, its JSON body, and whether to tell the tool to retry later. */
export interface WebhookAnswer {
  status: number;
  body: string;
  /** Seconds, for Retry-After. */
  retryAfter?: string;
}

// The two answers of a signed webhook, made once.
const ACCEPTED: WebhookAnswer = { status: HttpStatus.OK, body: JSON.stringify({ accepted: 1, deadLettered: 0 }) };
const DEAD_LETTERED: WebhookAnswer = { status: HttpStatus.OK, body: JSON.stringify({ accepted: 0, deadLettered: 1 }) };

/**
 * The marketing tool's webhooks (Mailchimp style, form-encoded), signed with HMAC-SHA256 over the
 * raw body. Unsigned or badly signed calls get 401 and change nothing. A signed call whose content
 * cannot become an event is dead-lettered with the reason and still answered 200, so the tool does
 * not retry it forever; it shows in the connector's dead-letter count. Every 200 comes after Kafka
 * acknowledged the event or the dead letter.
 *
 * A form-encoded POST to the exact path is served ahead of Fastify and Nest by
 * {@link MarketingWebhookHandler} (see there why). The routes here, on the app's Fastify instance
 * (not a Nest controller), take the rest through the framework with the same answers: the GET
 * that checks the URL, a POST of another content type (415, or the JSON parser's 400 or 413), one
 * to `/v1/webhooks/marketing/`, and every request once the server is closing. Both call
 * {@link accept}; this route writes its own 401, 415 and 503 in the same
 * `{ statusCode, error, message, correlationId }` shape as the app's error filter, which answers
 * its 500 (Kafka did not acknowledge) or a refused body.
 */
@Injectable()
export class MarketingWebhooksRoute implements OnApplicationBootstrap {
  private readonly name: string;
  private connector!: PushedConnector;

  constructor(
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(SourceOutput) private readonly output: SourceOutput,
    @Inject(ConnectorRegistry) private readonly registry: Pick<ConnectorRegistry, 'register' | 'pushed'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.MARKETING_SOURCE;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.registry.register(this.name, 'marketing-webhooks', { source: this.config.MARKETING_SOURCE, path: MARKETING_WEBHOOKS_PATH, signatureHeader: WEBHOOK_SIGNATURE_HEADER });
    this.connector = await this.registry.pushed(this.name, this.config.PUSHED_REGISTRY_INTERVAL_MS);
  }

  /**
   * Adds the routes to `fastify` (before it is ready), and a parser that hands form-encoded bodies
   * to routes as their raw bytes (a Buffer), which the signature is checked on; over 256 KB is a 413.
   */
  mount(fastify: FastifyInstance): void {
    fastify.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: MARKETING_WEBHOOK_MAX_BYTES }, (_request, body, done) => done(null, body));
    // Mailchimp checks a webhook URL with a GET before it saves it.
    fastify.get(MARKETING_WEBHOOKS_PATH, async (_request, reply) => reply.code(200).send({ ok: true }));
    fastify.post(MARKETING_WEBHOOKS_PATH, (request, reply) => this.receive(request, reply));
  }

  /**
   * The answer to a webhook's raw form bytes and signature header; `correlationId` goes with its
   * event or dead letter to Kafka and into the error bodies. Resolves after Kafka acknowledged
   * what was written; rejects (a 500 to the caller) when it did not.
   */
  // Not `async`, for the promise hooks (see `SourceOutput.write`): one `then` on the write.
  accept(raw: Buffer, signature: string | undefined, correlationId: string | undefined): Promise<WebhookAnswer> {
    try {
      return this.answer(raw, signature, correlationId);
    } catch (error) {
      // A rejection (a 500), as from the `async` function this was.
      return Promise.reject(error);
    }
  }

  private answer(raw: Buffer, signature: string | undefined, correlationId: string | undefined): Promise<WebhookAnswer> {
    const check = verifyWebhookSignature(this.config.MARKETING_WEBHOOK_SECRET, raw, signature);
    if (!check.ok) return Promise.resolve(refusal(HttpStatus.UNAUTHORIZED, check.reason, correlationId));
    if (this.connector.paused) {
      // Paused: the tool keeps the call and retries later, so nothing is lost while IT holds the line.
      return Promise.resolve({ ...refusal(HttpStatus.SERVICE_UNAVAILABLE, `connector ${this.name} is paused`, correlationId), retryAfter: '60' });
    }
    const form = decodeWebhookForm(raw.toString('utf8'));
    const mapped = mapMarketingWebhook(this.config.MARKETING_SOURCE, form);
    if (mapped.ok) {
      const event = mapped.value;
      return this.output.write(this.name, this.config.MARKETING_SOURCE, [event], [], correlationId).then(() => {
        this.connector.record(1, 0, Math.max(0, (Date.now() - event.recordVersion) / 1000));
        return ACCEPTED;
      });
    }
    return this.output.write(this.name, this.config.MARKETING_SOURCE, [], [{ sourceRecordId: mapped.recordId, payload: form, errors: mapped.errors }], correlationId).then(() => {
      this.connector.record(0, 1);
      this.logger.warn({ correlationId, connector: this.name, reasons: mapped.errors }, 'marketing webhook refused to the dead-letter topic');
      return DEAD_LETTERED;
    });
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const correlationId = currentCorrelationId();
    // A JSON body was parsed into an object; only a form arrives as bytes.
    const raw = request.body;
    const answer = Buffer.isBuffer(raw)
      ? await this.accept(raw, headerText(request.headers[WEBHOOK_SIGNATURE_HEADER]), correlationId)
      : refusal(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'webhooks must be application/x-www-form-urlencoded', correlationId);
    if (answer.retryAfter) reply.header('retry-after', answer.retryAfter);
    return reply.code(answer.status).header('content-type', JSON_TYPE).send(answer.body);
  }
}

/** A client error in the app's one error shape (the global filter's, which these routes do not go through). */
function refusal(status: HttpStatus, message: string, correlationId: string | undefined): WebhookAnswer {
  return { status, body: JSON.stringify(errorBody(status, message, correlationId)) };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
