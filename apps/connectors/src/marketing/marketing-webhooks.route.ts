import { HttpStatus, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { currentCorrelationId, ErrorBody, LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { PushedConnector } from '../registry/pushed-connector';
import { decodeWebhookForm, mapMarketingWebhook } from './marketing-webhook.mapper';

export const MARKETING_WEBHOOKS_PATH = '/v1/webhooks/marketing';
const MAX_BODY_BYTES = 256 * 1024;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json; charset=utf-8';
// The two answers of a signed webhook, written once.
const ACCEPTED = JSON.stringify({ accepted: 1, deadLettered: 0 });
const DEAD_LETTERED = JSON.stringify({ accepted: 0, deadLettered: 1 });

/**
 * The marketing tool's webhooks (Mailchimp style, form-encoded), signed with HMAC-SHA256 over the
 * raw body. Unsigned or badly signed calls get 401 and change nothing. A signed call whose content
 * cannot become an event is dead-lettered with the reason and still answered 200, so the tool does
 * not retry it forever; it shows in the connector's dead-letter count. Every 200 comes after Kafka
 * acknowledged the event or the dead letter.
 *
 * Served as a route of the app's Fastify instance, not a Nest controller: one event per HTTP request
 * made Nest's per-request pipeline (context, guards, pipes, interceptors, filters) a large share of
 * the connector's CPU. The app's Fastify hooks (correlation id, access log, metrics) and its error
 * filter (for a 500 or a refused body) still apply; this route writes its own 401, 415 and 503 in
 * the same `{ statusCode, error, message, correlationId }` shape.
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
    fastify.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));
    // Mailchimp checks a webhook URL with a GET before it saves it.
    fastify.get(MARKETING_WEBHOOKS_PATH, async (_request, reply) => reply.code(200).send({ ok: true }));
    fastify.post(MARKETING_WEBHOOKS_PATH, (request, reply) => this.receive(request, reply));
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // A JSON body was parsed into an object; only a form arrives as bytes.
    const raw = request.body;
    if (!Buffer.isBuffer(raw)) return refuse(reply, HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'webhooks must be application/x-www-form-urlencoded');
    const signature = request.headers[WEBHOOK_SIGNATURE_HEADER];
    const check = verifyWebhookSignature(this.config.MARKETING_WEBHOOK_SECRET, raw, typeof signature === 'string' ? signature : undefined);
    if (!check.ok) return refuse(reply, HttpStatus.UNAUTHORIZED, check.reason);
    if (this.connector.paused) {
      // Paused: the tool keeps the call and retries later, so nothing is lost while IT holds the line.
      reply.header('retry-after', '60');
      return refuse(reply, HttpStatus.SERVICE_UNAVAILABLE, `connector ${this.name} is paused`);
    }
    const form = decodeWebhookForm(raw.toString('utf8'));
    const mapped = mapMarketingWebhook(this.config.MARKETING_SOURCE, form);
    if (mapped.ok) {
      await this.output.write(this.name, this.config.MARKETING_SOURCE, [mapped.value]);
      this.connector.record(1, 0, Math.max(0, (Date.now() - mapped.value.recordVersion) / 1000));
    } else {
      await this.output.write(this.name, this.config.MARKETING_SOURCE, [], [{ sourceRecordId: mapped.recordId, payload: form, errors: mapped.errors }]);
      this.connector.record(0, 1);
      this.logger.warn({ connector: this.name, reasons: mapped.errors }, 'marketing webhook refused to the dead-letter topic');
    }
    return reply.code(200).header('content-type', JSON_TYPE).send(mapped.ok ? ACCEPTED : DEAD_LETTERED);
  }
}

/** A client error in the app's one error shape (the global filter's, which this route does not go through). */
function refuse(reply: FastifyReply, status: HttpStatus, message: string): FastifyReply {
  const body: ErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, correlationId: currentCorrelationId() };
  return reply.code(status).send(body);
}
