import { Controller, Get, HttpCode, Inject, INestApplication, OnApplicationBootstrap, Post, Req, Res, UnauthorizedException, UnsupportedMediaTypeException } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@tandem/contracts';
import { LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { PushedConnector } from '../registry/pushed-connector';
import { decodeWebhookForm, mapMarketingWebhook } from './marketing-webhook.mapper';

const MAX_BODY_BYTES = 256 * 1024;
const FORM = 'application/x-www-form-urlencoded';

/**
 * Form-encoded bodies reach the webhook route as the raw bytes (a Buffer), which the signature is
 * checked on; larger than 256 KB is a 413. Other content types than this and JSON get 415.
 */
export function acceptRawWebhookForms(app: INestApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addContentTypeParser(FORM, { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));
}

/**
 * The marketing tool's webhooks (Mailchimp style, form-encoded), signed with HMAC-SHA256 over the
 * raw body. Unsigned or badly signed calls get 401 and change nothing. A signed call whose content
 * cannot become an event is dead-lettered with the reason and still answered 200, so the tool does
 * not retry it forever; it shows in the connector's dead-letter count.
 */
@ApiTags('marketing webhooks')
@Controller('v1/webhooks/marketing')
export class MarketingWebhooksController implements OnApplicationBootstrap {
  private readonly name: string;
  private connector!: PushedConnector;

  constructor(
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(SourceOutput) private readonly output: SourceOutput,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.MARKETING_SOURCE;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.registry.register(this.name, 'marketing-webhooks', { source: this.config.MARKETING_SOURCE, path: '/v1/webhooks/marketing', signatureHeader: WEBHOOK_SIGNATURE_HEADER });
    this.connector = await this.registry.pushed(this.name, this.config.PUSHED_REGISTRY_INTERVAL_MS);
  }

  /** Mailchimp checks a webhook URL with a GET before it saves it. */
  @Get()
  @HttpCode(200)
  probe(): { ok: true } {
    return { ok: true };
  }

  @Post()
  @ApiHeader({ name: WEBHOOK_SIGNATURE_HEADER, required: true, description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' })
  async receive(@Req() request: FastifyRequest, @Res() response: FastifyReply): Promise<void> {
    // A JSON body was parsed into an object; only a form arrives as bytes (acceptRawWebhookForms).
    const raw = request.body;
    if (!Buffer.isBuffer(raw)) throw new UnsupportedMediaTypeException('webhooks must be application/x-www-form-urlencoded');
    const signature = request.headers[WEBHOOK_SIGNATURE_HEADER];
    const check = verifyWebhookSignature(this.config.MARKETING_WEBHOOK_SECRET, raw, typeof signature === 'string' ? signature : undefined);
    if (!check.ok) throw new UnauthorizedException(check.reason);
    if (this.connector.paused) {
      // Paused: the tool keeps the call and retries later, so nothing is lost while IT holds the line.
      response.status(503).header('retry-after', '60').send({ statusCode: 503, error: 'Service Unavailable', message: `connector ${this.name} is paused` });
      return;
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
    response.status(200).send({ accepted: mapped.ok ? 1 : 0, deadLettered: mapped.ok ? 0 : 1 });
  }
}
