import { Client } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventProducer } from '@tandem/messaging';
import { expandedLineageJson, PROFILE_CHANGES_CHANNEL } from '@tandem/profiles';

// Held for the length of one relay transaction: one relay publishes at a time, so rows leave in id
// order and each profile's changes reach its partition in the order they were committed.
const RELAY_LOCK = 0x7a6e5d01;

export interface RelaySettings {
  databaseUrl: string;
  topic: string;
  intervalMs: number;
}

export interface RelayReports {
  published(rows: number): void;
  failed(message: string): void;
}

/**
 * The outbox relay's loop (see OutboxRelay): publishes committed profile changes from the outbox to
 * the compacted change topic, in outbox order from the position kept in `outbox_relay`, then moves
 * the position. Runs on connections of its own (one LISTENs, one publishes), so it can run off the
 * resolver's thread.
 */
export class RelayLoop {
  private running = true;
  private listener?: Client;
  private db?: Client;
  private wake?: () => void;
  /** Rows up to the position left by an earlier relay (or published before a failure) are still to be deleted. */
  private leftovers = true;

  constructor(
    private readonly settings: RelaySettings,
    private readonly producer: EventProducer,
    private readonly reports: RelayReports,
  ) {}

  async run(): Promise<void> {
    while (this.running) {
      let sent = 0;
      try {
        await this.listen();
        sent = await this.publishOnce();
      } catch (error) {
        this.reports.failed((error as Error).message);
        this.drop();
        await sleep(1000);
      }
      if (sent === 0 && this.running) await this.nextChange();
    }
    this.drop();
  }

  stop(): void {
    this.running = false;
    this.wake?.();
  }

  /** Waits for a commit's notification, or the polling interval. */
  private async nextChange(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.settings.intervalMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private connect(name: string): Promise<Client> {
    const client = new Client({ connectionString: this.settings.databaseUrl, application_name: name });
    client.on('error', () => {
      if (this.listener === client) this.listener = undefined;
      if (this.db === client) this.db = undefined;
      void client.end().catch(() => undefined);
    });
    return client.connect().then(() => client);
  }

  /** A connection of its own that LISTENs for committed changes (re-opened after a failure). */
  private async listen(): Promise<void> {
    if (this.listener) return;
    const client = await this.connect('tandem-identity-relay');
    client.on('notification', () => this.wake?.());
    await client.query(`LISTEN ${PROFILE_CHANGES_CHANNEL}`);
    this.listener = client;
  }

  private drop(): void {
    for (const client of [this.listener, this.db]) void client?.end().catch(() => undefined);
    this.listener = undefined;
    this.db = undefined;
  }

  /** Publishes one batch; returns how many rows it published. */
  async publishOnce(): Promise<number> {
    this.db ??= await this.connect('tandem-identity-relay');
    const db = this.db;
    await db.query('BEGIN');
    try {
      const published = await this.publishIn(db);
      await db.query('COMMIT');
      if (published) this.leftovers = false;
      if (published) this.reports.published(published);
      return published;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async publishIn(db: Client): Promise<number> {
    const { rows: [{ locked }] } = await db.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RELAY_LOCK]);
    if (!locked) return 0;
    const { rows: [{ position }] } = await db.query(`SELECT position::text AS position FROM outbox_relay WHERE id = 1`);
    const { rows } = await db.query<OutboxRow>(
      // Golden record and lineage as text: spliced into the message as they are, never parsed here.
      `SELECT o.id, o.profile_id, o.change, o.payload, p.status, p.version, p.golden::text AS golden, p.lineage::text AS lineage
         FROM profile_outbox o LEFT JOIN profiles p ON p.id = o.profile_id
        WHERE o.id > $1 ORDER BY o.id LIMIT 2000`,
      [position],
    );
    if (rows.length === 0) return 0;
    await this.producer.send(
      this.settings.topic,
      rows.map((r) => ({ key: r.profile_id, value: changeMessage(r), headers: { 'x-profile-change': r.change, 'x-outbox-id': r.id } })),
    );
    const last = rows[rows.length - 1].id;
    await db.query(`UPDATE outbox_relay SET position = $1 WHERE id = 1`, [last]);
    // The rows just published, by a bounded range of the key. Deleted rows stay in the table until it
    // is vacuumed (never, where autovacuum is off), so an open range (`id <= $1`, as every 20,000 rows
    // before) was planned as a scan of the whole table: 215 MB at a million events, read at every delete.
    await db.query(`DELETE FROM profile_outbox WHERE id > $1 AND id <= $2`, [this.leftovers ? '0' : position, last]);
    return rows.length;
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
export function changeMessage(row: OutboxRow): string | null {
  if (row.payload === null) return null;
  if (row.payload.status !== 'active' || row.status !== 'active') return JSON.stringify(row.payload);
  const head = JSON.stringify({ ...row.payload, version: row.version });
  // Lineage is stored compact; followers get it per attribute, as the API serves it.
  return `${head.slice(0, -1)},"golden":${row.golden ?? '{}'},"lineage":${expandedLineageJson(row.lineage)}}`;
}
