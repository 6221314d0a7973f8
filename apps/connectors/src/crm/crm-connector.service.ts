import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { CustomerEventV1 } from '@tandem/contracts';
import { LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { RefusedRecord, SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { CheckpointReporter } from '../pipeline/checkpoint-reporter';
import { CrmCursor, CrmMark, formatCrmCursor, isAtOrBefore, parseCrmCursor, updatedAfterFor } from './crm-cursor';
import { contactChangedAt, mapCrmContact } from './crm-contact.mapper';
import { PollLoop } from '../pipeline/poll-loop';
import { SourceBackoff } from '../pipeline/source-http';
import { CRM_SOURCE, CrmContactPage, CrmSource } from './crm-source.port';

type Stream = keyof CrmCursor;
const STREAMS: Stream[] = ['contacts', 'archived'];

/** Pages written to Kafka and not yet acknowledged, while the next ones are fetched and mapped. */
const PAGES_IN_FLIGHT = 8;

export type PullOutcome = 'more' | 'caught-up' | 'paused';

/**
 * Pulls contacts incrementally from the CRM into the ingest topic. Pages go through a pipeline:
 * the next page is fetched while this one is mapped and written to Kafka, and several pages may
 * wait for Kafka's acknowledgement at once; the checkpoint in PostgreSQL moves only over pages
 * Kafka acknowledged, in page order (see {@link CheckpointReporter}). A crash re-sends what was
 * not checkpointed after restart; the events keep their ids, so downstream applies them once.
 * 429 and 5xx back off (honouring Retry-After) and recover by themselves.
 */
@Injectable()
export class CrmConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly name: string;
  private readonly loop: PollLoop;
  private totals: Partial<Record<Stream, number>> = {};

  constructor(
    @Inject(CRM_SOURCE) private readonly crm: CrmSource | null,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(SourceOutput) private readonly output: SourceOutput,
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.CRM_SOURCE;
    this.loop = new PollLoop({
      name: this.name,
      what: 'CRM pull',
      step: () => this.pull(),
      idleMs: config.CRM_POLL_INTERVAL_MS,
      backoff: new SourceBackoff(config.CRM_MAX_BACKOFF_MS),
      registry,
      logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.crm) {
      this.logger.info('no CRM configured (CRM_BASE_URL empty, sandbox off): CRM connector not started');
      return;
    }
    await this.registry.register(this.name, 'crm', { source: this.config.CRM_SOURCE, endpoint: this.crm.description, pageSize: this.config.CRM_PAGE_SIZE, pollIntervalMs: this.config.CRM_POLL_INTERVAL_MS });
    this.logger.info({ connector: this.name }, 'CRM connector started');
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Wakes a sleeping connector now (after a resume or resync request in this process). */
  nudge(): void {
    this.loop.nudge();
  }

  /**
   * One pull: both lists from the checkpoint until caught up, or until an operator pauses or asks
   * for a resync (seen at the next checkpoint) or the app stops. Public so the benchmark can run it.
   */
  async pull(): Promise<PullOutcome> {
    const status = await this.registry.require(this.name);
    if (status.resync.requested && (await this.registry.claimResync(this.name))) {
      this.totals = {};
      this.logger.info({ connector: this.name, from: status.resync.from ?? 'the beginning' }, 'CRM resync started');
      return 'more';
    }
    if (status.state === 'paused') return 'paused';
    let cursor = parseCrmCursor(status.cursor);
    const checkpoints = new CheckpointReporter(this.registry, this.name);
    const inFlight: Promise<void>[] = [];
    try {
      for (const stream of STREAMS) {
        const since = cursor[stream];
        let next = this.fetch(stream, since, null);
        for (let first = true; ; first = false) {
          const page = await next;
          if (page.nextAfter !== null) next = this.fetch(stream, since, page.nextAfter);
          if (first && page.total !== null) this.totals[stream] = page.total;
          const { events, refused } = this.map(page, since);
          const last = page.contacts[page.contacts.length - 1];
          if (last && typeof last.id === 'string' && !Number.isNaN(Date.parse(contactChangedAt(last)))) {
            cursor = { ...cursor, [stream]: { at: new Date(Date.parse(contactChangedAt(last))).toISOString(), id: last.id } };
          }
          const streamDone = page.nextAfter === null;
          const written = this.output.write(this.name, this.config.CRM_SOURCE, events, refused);
          // Awaited in page order below; until then a failure must not count as unhandled.
          written.catch(() => undefined);
          inFlight.push(written);
          // Kafka has to acknowledge this page (and every one before it) before the checkpoint moves past it.
          checkpoints.after(written, {
            cursor: formatCrmCursor(cursor) || null,
            events: events.length,
            deadLettered: refused.length,
            lagSeconds: streamDone || !last ? 0 : Math.max(0, (Date.now() - Date.parse(contactChangedAt(last))) / 1000),
            sourceTotal: Object.values(this.totals).reduce((sum, n) => sum + (n ?? 0), 0) || null,
            caughtUp: streamDone && stream === STREAMS[STREAMS.length - 1],
          });
          if (refused.length) this.logger.warn({ connector: this.name, refused: refused.length, reasons: refused.map((r) => r.errors[0]) }, 'CRM records refused to the dead-letter topic');
          if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
          checkpoints.throwIfFailed();
          if (this.loop.stopped || checkpoints.interrupted) return 'more';
          if (streamDone) break;
        }
      }
      return 'caught-up';
    } finally {
      // Whatever ends the pull, every page sent settles and every acknowledged one is checkpointed.
      await Promise.allSettled(inFlight);
      await checkpoints.flush();
    }
  }

  private fetch(stream: Stream, since: CrmMark | null, after: string | null): Promise<CrmContactPage> {
    const page = this.crm!.listContacts({ archived: stream === 'archived', updatedAfter: updatedAfterFor(since), after: after ?? undefined, limit: this.config.CRM_PAGE_SIZE });
    // Asked for ahead of need: its failure is raised when the pull awaits it, not before.
    page.catch(() => undefined);
    return page;
  }

  private map(page: CrmContactPage, since: CrmMark | null): { events: CustomerEventV1[]; refused: RefusedRecord[] } {
    const events: CustomerEventV1[] = [];
    const refused: RefusedRecord[] = [];
    for (const contact of page.contacts) {
      // Contacts of the checkpoint's own millisecond that were already taken come back once; skip them.
      if (typeof contact?.id === 'string' && isAtOrBefore(since, Date.parse(contactChangedAt(contact)), contact.id)) continue;
      const mapped = mapCrmContact(this.config.CRM_SOURCE, contact);
      if (mapped.ok) events.push(mapped.value);
      else refused.push({ sourceRecordId: typeof contact?.id === 'string' && contact.id ? contact.id : 'unknown', payload: contact, errors: mapped.errors });
    }
    return { events, refused };
  }
}
