import { BadRequestException, Body, Controller, Headers, HttpCode, Inject, OnApplicationBootstrap, Post, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { CustomerEventV1 } from '@tandem/contracts';
import { LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { RefusedRecord, SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { PushedConnector } from '../registry/pushed-connector';
import { mapSegmentMessage, SegmentMessage } from './segment-message.mapper';
import { WriteKeyGuard } from './write-key.guard';

/** Segment's limits: 32 KB per message, 500 KB per batch. */
export const SEGMENT_MAX_MESSAGE_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;
const DEDUP_WINDOW = 100_000;

/**
 * Segment-compatible collection API (`/v1/identify`, `/v1/track`, `/v1/batch`), so any Segment SDK
 * pointed at the hub sends customer events. Answers `{ success: true }` once Kafka acknowledged.
 */
@ApiTags('segment')
@ApiBasicAuth()
@Controller('v1')
@UseGuards(WriteKeyGuard)
export class SegmentController implements OnApplicationBootstrap {
  private readonly name: string;
  // Recently seen messageIds: a client retry after a lost response is answered without re-sending.
  private readonly seen = new Set<string>();
  private connector!: PushedConnector;

  constructor(
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(SourceOutput) private readonly output: SourceOutput,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.SEGMENT_SOURCE;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.registry.register(this.name, 'segment-collection', { source: this.config.SEGMENT_SOURCE, paths: ['/v1/identify', '/v1/track', '/v1/batch'] });
    this.connector = await this.registry.pushed(this.name, this.config.PUSHED_REGISTRY_INTERVAL_MS);
  }

  @Post('identify')
  @HttpCode(200)
  identify(@Body() body: Record<string, unknown>): Promise<{ success: true }> {
    return this.accept([{ ...body, type: 'identify' }], true);
  }

  @Post('track')
  @HttpCode(200)
  track(@Body() body: Record<string, unknown>): Promise<{ success: true }> {
    return this.accept([{ ...body, type: 'track' }], true);
  }

  @Post('batch')
  @HttpCode(200)
  batch(@Body() body: Record<string, unknown>, @Headers('content-length') contentLength?: string): Promise<{ success: true }> {
    if (!Array.isArray(body?.batch)) throw new BadRequestException('batch must be an array of messages');
    // The request's own length when it says it (every SDK does); else the body written out again.
    const length = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : Buffer.byteLength(JSON.stringify(body));
    if (length > SEGMENT_MAX_BATCH_BYTES) throw new BadRequestException(`batch is larger than ${SEGMENT_MAX_BATCH_BYTES} bytes`);
    // Batch-level context applies to every message that has none of its own, as Segment does.
    const context = body.context;
    return this.accept(
      (body.batch as unknown[]).map((message) => {
        const own = typeof message === 'object' && message !== null ? (message as SegmentMessage) : {};
        return context !== undefined ? { context, ...own } : own;
      }),
      false,
    );
  }

  private async accept(messages: SegmentMessage[], single: boolean): Promise<{ success: true }> {
    if (this.connector.paused) throw new ServiceUnavailableException(`connector ${this.name} is paused`);
    for (const message of messages) {
      if (Buffer.byteLength(JSON.stringify(message)) > SEGMENT_MAX_MESSAGE_BYTES) throw new BadRequestException(`a message is larger than ${SEGMENT_MAX_MESSAGE_BYTES} bytes`);
    }
    const receivedAt = new Date();
    const events: CustomerEventV1[] = [];
    const refused: RefusedRecord[] = [];
    const fresh = new Set<string>();
    for (const message of messages) {
      const messageId = typeof message.messageId === 'string' ? message.messageId : null;
      if (messageId && (this.seen.has(messageId) || fresh.has(messageId))) continue;
      const mapped = mapSegmentMessage(this.config.SEGMENT_SOURCE, message, receivedAt);
      if (mapped.outcome === 'invalid') {
        if (single) throw new BadRequestException(mapped.errors.join('; '));
        refused.push({ sourceRecordId: mapped.recordId, payload: message, errors: mapped.errors });
      } else if (mapped.outcome === 'event') {
        events.push(mapped.event);
      }
      if (messageId) fresh.add(messageId);
    }
    await this.output.write(this.name, this.config.SEGMENT_SOURCE, events, refused);
    // Remembered only once acknowledged, so a failed call can be retried with the same ids.
    for (const id of fresh) this.remember(id);
    this.connector.record(events.length, refused.length);
    if (refused.length) this.logger.warn({ connector: this.name, refused: refused.length, reasons: refused.map((r) => r.errors[0]) }, 'Segment messages refused to the dead-letter topic');
    return { success: true };
  }

  private remember(messageId: string): void {
    this.seen.add(messageId);
    if (this.seen.size > DEDUP_WINDOW) this.seen.delete(this.seen.values().next().value as string);
  }
}
