import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { CustomerEventV1 } from '@tandem/contracts';
import { LOGGER } from '@tandem/observability';
import { ConnectorsConfig } from '../connectors.config';
import { CheckpointReporter } from '../pipeline/checkpoint-reporter';
import { PollLoop } from '../pipeline/poll-loop';
import { SourceBackoff } from '../pipeline/source-http';
import { RefusedRecord, SourceOutput } from '../pipeline/source-output.service';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { memberPages } from './mailchimp-members.client';
import { parseMarketingCursor } from './marketing-cursor';
import { mapMarketingMember } from './marketing-member.mapper';
import { MARKETING_MEMBERS, MarketingMemberRecord, MarketingMembersSource } from './marketing-members.port';

/** Pages written to Kafka and not yet acknowledged, while the next ones are fetched and mapped. */
const PAGES_IN_FLIGHT = 8;
/** Mailchimp's `last_changed` is to the second: ask from one second before the mark, keep what is at or after it. */
const SOURCE_PRECISION_MS = 1000;

export type MembersPullOutcome = 'more' | 'caught-up' | 'paused' | 'idle';

/**
 * The marketing connector's resync: the webhooks are its live path, and a resync pulls the list's
 * members (Mailchimp's members API) into the ingest topic, from the beginning or from the instant
 * given, as Mailchimp connectors backfill and recover missed webhooks. Claims the marketing
 * connector's resync requests; pages go out as the CRM's do (next page fetched while this one is
 * written, the checkpoint moved over acknowledged pages only, in order, by {@link CheckpointReporter}),
 * so a failed or interrupted pull continues from the last acknowledged member's `last_changed`. A
 * pause stops it at the next checkpoint; 429 and 5xx back off (honouring Retry-After) and recover.
 * Webhooks keep being served meanwhile; they share the connector's row.
 */
@Injectable()
export class MarketingMembersPull implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly name: string;
  private readonly loop: PollLoop;
  // The list's size when this resync started, for its progress; later pages count only what is left.
  private resyncTotal: number | null = null;

  constructor(
    @Inject(MARKETING_MEMBERS) private readonly members: MarketingMembersSource | null,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(SourceOutput) private readonly output: SourceOutput,
    @Inject(ConnectorsConfig) private readonly config: ConnectorsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.MARKETING_SOURCE;
    // Between resyncs only the registry is read, as often as the pushed connectors re-read theirs.
    this.loop = new PollLoop({
      name: this.name,
      what: 'marketing members pull',
      step: () => this.step(),
      idleMs: config.PUSHED_REGISTRY_INTERVAL_MS,
      backoff: new SourceBackoff(config.MARKETING_MAX_BACKOFF_MS),
      registry,
      logger,
    });
  }

  /** Why a marketing resync cannot be done here, or null when it can. */
  get unavailable(): string | null {
    return this.members ? null : 'no marketing members API is configured: set MARKETING_API_URL, MARKETING_API_KEY and MARKETING_LIST_ID (the webhooks alone cannot be replayed)';
  }

  onApplicationBootstrap(): void {
    if (!this.members) {
      this.logger.info('no marketing members API (MARKETING_API_URL empty, sandbox off): marketing resync not available');
      return;
    }
    this.logger.info({ connector: this.name, endpoint: this.members.description }, 'marketing members pull ready for resyncs');
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Wakes the loop now (after a resume or resync request in this process). */
  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Claims a resync request, or goes on with the resync under way from its checkpoint until the
   * members are all acknowledged (which ends the resync), a pause, a new request or a stop. Public
   * so the benchmark can run it.
   */
  async step(): Promise<MembersPullOutcome> {
    const status = await this.registry.get(this.name);
    // The webhook route registers the row at start; until it has, there is nothing to claim.
    if (!status) return 'idle';
    if (status.resync.requested && (await this.registry.claimResync(this.name))) {
      this.resyncTotal = null;
      this.logger.info({ connector: this.name, from: status.resync.from ?? 'the beginning' }, 'marketing resync started: pulling list members');
      return 'more';
    }
    if (!status.resync.startedAt || status.resync.finishedAt) return 'idle';
    if (status.state === 'paused') return 'paused';
    this.resyncTotal ??= status.resync.total;
    return this.pull(status.cursor);
  }

  private async pull(cursor: string | null): Promise<MembersPullOutcome> {
    const from = cursor === null ? null : Date.parse(parseMarketingCursor(cursor));
    const checkpoints = new CheckpointReporter(this.registry, this.name);
    const inFlight: Promise<void>[] = [];
    let mark = cursor;
    try {
      const pages = memberPages(this.members!, {
        sinceLastChanged: from === null ? undefined : new Date(from - SOURCE_PRECISION_MS).toISOString(),
        count: this.config.MARKETING_PAGE_SIZE,
      });
      for await (const page of pages) {
        this.resyncTotal ??= page.total;
        const { events, refused } = this.map(page.fresh, from);
        const last = page.members[page.members.length - 1];
        const lastAt = Date.parse(typeof last?.last_changed === 'string' ? last.last_changed : '');
        if (!Number.isNaN(lastAt) && (mark === null || lastAt > Date.parse(mark))) mark = new Date(lastAt).toISOString();
        const done = page.offset + page.members.length >= page.total;
        const written = this.output.write(this.name, this.config.MARKETING_SOURCE, events, refused);
        // Awaited in page order below; until then a failure must not count as unhandled.
        written.catch(() => undefined);
        inFlight.push(written);
        checkpoints.after(written, { cursor: mark, events: events.length, deadLettered: refused.length, sourceTotal: this.resyncTotal, caughtUp: done });
        if (refused.length) this.logger.warn({ connector: this.name, refused: refused.length, reasons: refused.map((r) => r.errors[0]) }, 'marketing members refused to the dead-letter topic');
        if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
        checkpoints.throwIfFailed();
        if (this.loop.stopped || checkpoints.interrupted) return 'more';
      }
      return 'caught-up';
    } finally {
      // Whatever ends the pull, every page sent settles and every acknowledged one is checkpointed.
      await Promise.allSettled(inFlight);
      await checkpoints.flush();
    }
  }

  private map(members: MarketingMemberRecord[], from: number | null): { events: CustomerEventV1[]; refused: RefusedRecord[] } {
    const events: CustomerEventV1[] = [];
    const refused: RefusedRecord[] = [];
    for (const member of members) {
      // Asked from a second early (the source's precision): what changed before the mark was not asked for.
      if (from !== null && typeof member?.last_changed === 'string' && Date.parse(member.last_changed) < from) continue;
      const mapped = mapMarketingMember(this.config.MARKETING_SOURCE, member);
      if (mapped.ok) events.push(mapped.value);
      else refused.push({ sourceRecordId: mapped.recordId, payload: member, errors: mapped.errors });
    }
    return { events, refused };
  }
}
