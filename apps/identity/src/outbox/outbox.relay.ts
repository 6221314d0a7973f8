import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { EventProducer } from '@tandem/messaging';
import { LOGGER, Metrics } from '@tandem/observability';
import { expandLineage, PROFILE_CHANGES_CHANNEL } from '@tandem/profiles';
import { IdentityConfig } from '../identity.config';

/** Published rows are deleted once this many more have been published. */
const DELETE_EVERY = 20_000;

// Held for the length of one relay transaction: one relay publishes at a time, so rows leave in id
// order and each profile's changes reach its partition in the order they were committed.
const RELAY_LOCK = 0x7a6e5d01;

/**
 * Publishes committed profile changes from the outbox to the compacted change topic (key = profile
 * id), in outbox order from the position it keeps in `outbox_relay`, then moves the position.
 * At-least-once: a crash between send and move sends them again. Every writer of the outbox holds the
 * resolution lock, so rows commit in id order and reading past the position never skips one. Woken by
 * a notification when a resolution commits; polls every IDENTITY_OUTBOX_INTERVAL_MS otherwise.
 *
 * An outbox row says what happened (created, merged from, split from, retired into); the golden record
 * and its lineage are read from the profile when the row is published, so the outbox holds no
 * personal data and costs the resolver a small row per change. A row published after later changes
 * carries the profile as it is then (with that version): on a compacted topic the newest state is what
 * a follower needs. A row with no payload is a tombstone (erasure).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop?: Promise<void>;
  private readonly published;
  private listener?: Client;
  private wake?: () => void;
  private sinceDelete = 0;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(EventProducer) private readonly producer: EventProducer,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {
    this.published = metrics.counter('identity_profile_changes_published_total', 'Profile changes published to the change topic');
  }

  onApplicationBootstrap(): void {
    if (this.config.IDENTITY_OUTBOX_RELAY !== 'on') return;
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent = 0;
      try {
        await this.listen();
        sent = await this.publishOnce();
      } catch (error) {
        this.logger.warn({ err: { message: (error as Error).message } }, 'outbox relay failed; retrying');
        await sleep(1000);
      }
      if (sent === 0 && this.running) await this.nextChange();
    }
  }

  /** Waits for a commit's notification, or the polling interval. */
  private async nextChange(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.config.IDENTITY_OUTBOX_INTERVAL_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** A connection of its own that LISTENs for committed changes (re-opened after a failure). */
  private async listen(): Promise<void> {
    if (this.listener) return;
    const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'tandem-identity-relay' });
    client.on('notification', () => this.wake?.());
    client.on('error', () => {
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
    });
    await client.connect();
    await client.query(`LISTEN ${PROFILE_CHANGES_CHANNEL}`);
    this.listener = client;
  }

  /** Publishes one batch; returns how many rows it published. */
  async publishOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RELAY_LOCK]);
      if (!locked) return 0;
      const [{ position }] = await manager.query(`SELECT position::text AS position FROM outbox_relay WHERE id = 1`);
      const rows: OutboxRow[] = await manager.query(
        // Golden record and lineage as text: spliced into the message as they are, never parsed here.
        `SELECT o.id, o.profile_id, o.change, o.payload, p.status, p.version, p.golden::text AS golden, p.lineage::text AS lineage
           FROM profile_outbox o LEFT JOIN profiles p ON p.id = o.profile_id
          WHERE o.id > $1 ORDER BY o.id LIMIT 2000`,
        [position],
      );
      if (rows.length === 0) return 0;
      await this.producer.send(
        this.config.IDENTITY_PROFILE_TOPIC,
        rows.map((r) => ({ key: r.profile_id, value: changeMessage(r), headers: { 'x-profile-change': r.change, 'x-outbox-id': r.id } })),
      );
      const last = rows[rows.length - 1].id;
      await manager.query(`UPDATE outbox_relay SET position = $1 WHERE id = 1`, [last]);
      this.sinceDelete += rows.length;
      if (this.sinceDelete >= DELETE_EVERY) {
        await manager.query(`DELETE FROM profile_outbox WHERE id <= $1`, [last]);
        this.sinceDelete = 0;
      }
      this.published.inc(rows.length);
      return rows.length;
    });
  }
}

interface OutboxRow {
  id: string;
  profile_id: string;
  change: string;
  payload: Record<string, unknown> | null;
  status: string | null;
  version: number | null;
  /** JSON text. */
  golden: string | null;
  /** JSON text. */
  lineage: string | null;
}

/** The change topic's value for an outbox row: null for a tombstone, the golden record while the profile is active. */
function changeMessage(row: OutboxRow): string | null {
  if (row.payload === null) return null;
  if (row.payload.status !== 'active' || row.status !== 'active') return JSON.stringify(row.payload);
  const head = JSON.stringify({ ...row.payload, version: row.version });
  // Lineage is stored compact; followers get it per attribute, as the API serves it.
  const lineage = JSON.stringify(expandLineage(row.lineage === null ? {} : JSON.parse(row.lineage)));
  return `${head.slice(0, -1)},"golden":${row.golden ?? '{}'},"lineage":${lineage}}`;
}
