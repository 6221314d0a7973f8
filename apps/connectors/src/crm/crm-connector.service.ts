import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { CustomerEventV1 } from '@tandem/contracts';
import { LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { RefusedRecord, SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { CrmCursor, CrmMark, formatCrmCursor, isAtOrBefore, parseCrmCursor, updatedAfterFor } from './crm-cursor';
import { contactChangedAt, mapCrmContact } from './crm-contact.mapper';
import { CRM_SOURCE, CrmContactPage, CrmListQuery, CrmSource, SourceUnavailableError } from './crm-source.port';

type Stream = keyof CrmCursor;
const STREAMS: Stream[] = ['contacts', 'archived'];

/** Where the connector is inside one pull of one list; lost on restart, which is fine (the checkpoint is not). */
interface Pull {
  stream: Stream;
  /** The checkpoint the pull started from: every page of this pull asks `updatedAfter` it. */
  since: CrmMark | null;
  after: string | null;
  total: number | null;
}

export type StepOutcome = 'more' | 'caught-up' | 'paused';

/**
 * Pulls contacts incrementally from the CRM into the ingest topic. Each page: map, produce (events
 * and refused records in one acknowledged write), and only then move the checkpoint in PostgreSQL.
 * A crash between the two re-sends the page after restart; the events keep their ids, so downstream
 * applies them once. 429 and 5xx back off (honouring Retry-After) and recover by themselves.
 */
@Injectable()
export class CrmConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly name: string;
  private pull: Pull | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private failures = 0;
  private totals: Partial<Record<Stream, number>> = {};
  // The next page, asked for while the current one is produced: the CRM and Kafka work at once.
  private prefetch: { key: string; page: Promise<CrmContactPage> } | null = null;

  constructor(
    @Inject(CRM_SOURCE) private readonly crm: CrmSource | null,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(SourceOutput) private readonly output: SourceOutput,
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.CRM_SOURCE;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.crm) {
      this.logger.info('no CRM configured (CRM_BASE_URL empty, sandbox off): CRM connector not started');
      return;
    }
    await this.registry.register(this.name, 'crm', { source: this.config.CRM_SOURCE, endpoint: this.crm.description, pageSize: this.config.CRM_PAGE_SIZE, pollIntervalMs: this.config.CRM_POLL_INTERVAL_MS });
    this.logger.info({ connector: this.name }, 'CRM connector started');
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** Wakes a sleeping connector now (after a resume or resync request in this process). */
  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let outcome: StepOutcome;
      try {
        outcome = await this.step();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.prefetch = null;
        const delay = this.backoff(error);
        await this.registry.reportFailure(this.name, error, { backingOffUntil: new Date(Date.now() + delay) }).catch(() => undefined);
        this.logger.warn({ connector: this.name, err: { message: (error as Error).message }, retryInMs: delay }, 'CRM step failed, backing off');
        await this.sleep(delay);
        continue;
      }
      if (outcome !== 'more') await this.sleep(this.config.CRM_POLL_INTERVAL_MS);
    }
  }

  /** One page of work; public so tests and the benchmark can drive the connector step by step. */
  async step(): Promise<StepOutcome> {
    const status = await this.registry.require(this.name);
    if (status.resync.requested && (await this.registry.claimResync(this.name))) {
      this.pull = null;
      this.prefetch = null;
      this.totals = {};
      this.logger.info({ connector: this.name, from: status.resync.from ?? 'the beginning' }, 'CRM resync started');
      return 'more';
    }
    if (status.state === 'paused') {
      this.prefetch = null;
      return 'paused';
    }
    const cursor = parseCrmCursor(status.cursor);
    const pull = this.pull ?? { stream: STREAMS[0], since: cursor[STREAMS[0]], after: null, total: null };
    this.pull = pull;

    const page = await this.fetch(pull);
    if (!pull.after && page.total !== null) this.totals[pull.stream] = page.total;
    if (page.nextAfter !== null) this.startPrefetch({ ...pull, after: page.nextAfter });

    const events: CustomerEventV1[] = [];
    const refused: RefusedRecord[] = [];
    for (const contact of page.contacts) {
      // Contacts of the checkpoint's own millisecond that were already taken come back once; skip them.
      if (typeof contact?.id === 'string' && isAtOrBefore(pull.since, Date.parse(contactChangedAt(contact)), contact.id)) continue;
      const mapped = mapCrmContact(this.config.CRM_SOURCE, contact);
      if (mapped.ok) events.push(mapped.value);
      else refused.push({ sourceRecordId: typeof contact?.id === 'string' && contact.id ? contact.id : 'unknown', payload: contact, errors: mapped.errors });
    }
    await this.output.write(this.name, this.config.CRM_SOURCE, events, refused);

    // Kafka has acknowledged: now, and only now, the checkpoint may move.
    const last = page.contacts[page.contacts.length - 1];
    const next: CrmCursor = { ...cursor };
    if (last && typeof last.id === 'string' && !Number.isNaN(Date.parse(contactChangedAt(last)))) {
      next[pull.stream] = { at: new Date(Date.parse(contactChangedAt(last))).toISOString(), id: last.id };
    }
    const streamDone = page.nextAfter === null;
    const caughtUp = streamDone && pull.stream === STREAMS[STREAMS.length - 1];
    if (streamDone) {
      const following = STREAMS[STREAMS.indexOf(pull.stream) + 1];
      this.pull = following ? { stream: following, since: next[following], after: null, total: null } : null;
    } else {
      pull.after = page.nextAfter;
    }
    const lagSeconds = streamDone || !last ? 0 : Math.max(0, (Date.now() - Date.parse(contactChangedAt(last))) / 1000);
    const total = Object.values(this.totals).reduce((sum, n) => sum + (n ?? 0), 0);
    await this.registry.reportSuccess(this.name, {
      cursor: formatCrmCursor(next) || null,
      events: events.length,
      deadLettered: refused.length,
      lagSeconds,
      sourceTotal: total || null,
      caughtUp,
    });
    if (refused.length) this.logger.warn({ connector: this.name, refused: refused.length, reasons: refused.map((r) => r.errors[0]) }, 'CRM records refused to the dead-letter topic');
    return caughtUp ? 'caught-up' : 'more';
  }

  private query(pull: Pull): CrmListQuery {
    return { archived: pull.stream === 'archived', updatedAfter: updatedAfterFor(pull.since), after: pull.after ?? undefined, limit: this.config.CRM_PAGE_SIZE };
  }

  private fetch(pull: Pull): Promise<CrmContactPage> {
    const query = this.query(pull);
    const ready = this.prefetch;
    this.prefetch = null;
    return ready && ready.key === JSON.stringify(query) ? ready.page : this.crm!.listContacts(query);
  }

  private startPrefetch(next: Pull): void {
    const query = this.query(next);
    const page = this.crm!.listContacts(query);
    // Awaited (and its error raised) only if the next step asks for this very page.
    page.catch(() => undefined);
    this.prefetch = { key: JSON.stringify(query), page };
  }

  private backoff(error: unknown): number {
    if (error instanceof SourceUnavailableError && error.retryAfterMs !== null) return Math.min(error.retryAfterMs, 10 * 60 * 1000);
    const exponential = Math.min(this.config.CRM_MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 16));
    return Math.round(exponential / 2 + Math.random() * (exponential / 2));
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
