import { BeforeApplicationShutdown, Inject, Injectable, NotFoundException, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '@tandem/observability';
import { PushedConnector } from './pushed-connector';

export const CONNECTOR_STATES = ['running', 'paused', 'failed', 'backing-off'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

/** What the hub knows about one connector: its state, checkpoint and counts, all persisted. */
export interface ConnectorStatus {
  name: string;
  /** `crm`, `erp`, `marketing`, `segment`… */
  kind: string;
  state: ConnectorState;
  config: Record<string, unknown>;
  /** Opaque checkpoint the connector resumes from; only written after Kafka acknowledged. */
  cursor: string | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  errorCount: number;
  consecutiveFailures: number;
  backingOffUntil: Date | null;
  eventsTotal: number;
  deadLetteredTotal: number;
  /** How far behind the source the connector is, in seconds, as the connector last measured it. */
  lagSeconds: number | null;
  /** Events per second over the last minute, measured in this process. */
  eventsPerSecond: number;
  resync: ResyncStatus;
}

export interface ResyncStatus {
  /** A resync was asked for and the connector has not picked it up yet. */
  requested: boolean;
  /** Cursor it restarts from; null = from the beginning. */
  from: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Events the resync produced (events pushed to the connector meanwhile, such as webhooks, not counted). */
  events: number;
  /** Records the source said it holds, when it says; lets a caller draw a progress bar. */
  total: number | null;
}

export interface SuccessReport {
  /** The new checkpoint; omit to keep the current one. Call only once Kafka has acknowledged. */
  cursor?: string | null;
  /** Events Kafka acknowledged in this step. */
  events: number;
  /** Records sent to the dead-letter topic in this step. */
  deadLettered?: number;
  lagSeconds?: number | null;
  /** The source's record count, when known, for resync progress. */
  sourceTotal?: number | null;
  /** True once the connector has caught up with the source: ends a running resync. */
  caughtUp?: boolean;
  /**
   * Counts of requests pushed to the connector (webhooks, collection calls), not of its own pulls:
   * they do not count toward a resync under way (the marketing resync pulls while webhooks arrive).
   */
  pushed?: boolean;
}

export interface FailureReport {
  /** Set when the connector will retry by itself at that time: state `backing-off`. Absent: `failed`. */
  backingOffUntil?: Date | null;
}

/** What operators asked of a connector, as seen when it reported. */
export interface OperatorRequests {
  paused: boolean;
  resyncRequested: boolean;
}

/** A resync the connector claimed: restart from `fromCursor` (null = the beginning). */
export interface ResyncClaim {
  fromCursor: string | null;
}

const RATE_WINDOW_MS = 60_000;

/**
 * The connectors table as a service. Every connector (CRM poller, ERP change-event consumer,
 * webhook and collection endpoints) registers once at start and then reports each step, so IT sees
 * one consistent picture; pause and resync requests travel the other way through the same rows.
 *
 * Typical connector loop:
 * ```ts
 * await registry.register('crm', 'crm', { baseUrl });
 * const claim = await registry.claimResync('crm');            // operator asked for a resync?
 * if (await registry.isPaused('crm')) return sleep();
 * const cursor = await registry.cursor('crm');
 * ...produce to Kafka and await the acknowledgement...
 * await registry.reportSuccess('crm', { cursor: next, events: n });
 * // on a source fault: await registry.reportFailure('crm', error, { backingOffUntil });
 * ```
 */
@Injectable()
export class ConnectorRegistry implements BeforeApplicationShutdown {
  // Events per connector in the last minute, for events/s; in memory because it is a rate, not state.
  private readonly recent = new Map<string, { at: number; events: number }[]>();
  private readonly pushedConnectors = new Map<string, PushedConnector>();

  constructor(@Inject(DataSource) private readonly db: DataSource, @Optional() @Inject(LOGGER) private readonly logger: Logger | null = null) {}

  /**
   * For connectors that sources push to, one HTTP request per step: the connector's paused state
   * and counts kept in memory, the state re-read and the counts written every `intervalMs` and at
   * shutdown (see {@link PushedConnector}). `register` it first.
   */
  async pushed(name: string, intervalMs: number): Promise<PushedConnector> {
    const existing = this.pushedConnectors.get(name);
    if (existing) return existing;
    const connector = new PushedConnector(
      name,
      { reportSuccess: (n, report) => this.reportSuccess(n, report), isPaused: (n) => this.isPaused(n) },
      intervalMs,
      (error) => this.logger?.error({ connector: name, error: (error as Error)?.message }, 'could not update the connector registry; retrying'),
    );
    this.pushedConnectors.set(name, connector);
    await connector.start();
    return connector;
  }

  /** Counts still in memory go to the table before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pushedConnectors.values()].map((connector) => connector.close()));
  }

  /** A read of rows that a pushed connector's pending write must not overlap (see `PushedConnector.steady`). */
  private steady<T>(names: string[] | null, read: () => Promise<T>): Promise<T> {
    const involved = names === null ? [...this.pushedConnectors.values()] : names.flatMap((n) => this.pushedConnectors.get(n) ?? []);
    return involved.reduce<() => Promise<T>>((inner, connector) => () => connector.steady(inner), read)();
  }

  /** Creates the connector if new (state `running`), or refreshes its kind and config; never resets cursor or counts. */
  async register(name: string, kind: string, config: Record<string, unknown> = {}): Promise<ConnectorStatus> {
    const rows = await this.db.query(
      `INSERT INTO connectors (name, kind, config) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config, updated_at = now()
       RETURNING *`,
      [name, kind, JSON.stringify(config)],
    );
    return this.toStatus(rows[0]);
  }

  async list(): Promise<ConnectorStatus[]> {
    const rows = await this.steady(null, () => this.db.query(`SELECT * FROM connectors ORDER BY name`));
    return rows.map((row: ConnectorRow) => this.toStatus(row));
  }

  async get(name: string): Promise<ConnectorStatus | null> {
    const rows = await this.steady([name], () => this.db.query(`SELECT * FROM connectors WHERE name = $1`, [name]));
    return rows.length ? this.toStatus(rows[0]) : null;
  }

  /** Like `get`, but a missing connector is a 404 with its name. */
  async require(name: string): Promise<ConnectorStatus> {
    const status = await this.get(name);
    if (!status) throw new NotFoundException(`no connector named "${name}"`);
    return status;
  }

  async cursor(name: string): Promise<string | null> {
    const rows = await this.db.query(`SELECT cursor FROM connectors WHERE name = $1`, [name]);
    return rows[0]?.cursor ?? null;
  }

  /**
   * A step went well: events acknowledged by Kafka, the checkpoint moved. Clears the failure streak
   * and any backoff; a paused connector stays paused. Answers what an operator asked for meanwhile,
   * so a connector in the middle of a long pull learns of a pause or resync without another query.
   */
  async reportSuccess(name: string, report: SuccessReport): Promise<OperatorRequests> {
    const setCursor = report.cursor !== undefined;
    const result = await this.db.query(
      `UPDATE connectors SET
         state = CASE WHEN state = 'paused' THEN 'paused' ELSE 'running' END,
         cursor = CASE WHEN $2 THEN $3 ELSE cursor END,
         last_success_at = now(),
         consecutive_failures = 0,
         backing_off_until = NULL,
         events_total = events_total + $4,
         dead_lettered_total = dead_lettered_total + $5,
         lag_seconds = COALESCE($6, lag_seconds),
         resync_events = CASE WHEN NOT $9 AND resync_started_at IS NOT NULL AND resync_finished_at IS NULL THEN resync_events + $4 ELSE resync_events END,
         resync_total = CASE WHEN resync_started_at IS NOT NULL AND resync_finished_at IS NULL THEN COALESCE($7, resync_total) ELSE resync_total END,
         resync_finished_at = CASE WHEN $8 AND resync_started_at IS NOT NULL AND resync_finished_at IS NULL THEN now() ELSE resync_finished_at END,
         updated_at = now()
       WHERE name = $1
       RETURNING state, resync_requested`,
      [name, setCursor, setCursor ? report.cursor : null, report.events, report.deadLettered ?? 0, report.lagSeconds ?? null, report.sourceTotal ?? null, report.caughtUp ?? false, report.pushed ?? false],
    );
    this.count(name, report.events);
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [row] = (result as [{ state: ConnectorState; resync_requested: boolean }[], number])[0];
    return { paused: row?.state === 'paused', resyncRequested: row?.resync_requested ?? false };
  }

  /**
   * A step failed. With `backingOffUntil` the connector retries by itself (state `backing-off`);
   * without it the connector has given up (state `failed`) until an operator resumes it. Only the
   * error's message is stored: callers must not put personal data in it.
   */
  async reportFailure(name: string, error: unknown, report: FailureReport = {}): Promise<void> {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    const until = report.backingOffUntil ?? null;
    await this.db.query(
      `UPDATE connectors SET
         state = CASE WHEN state = 'paused' THEN 'paused' WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'backing-off' END,
         last_error = $2, last_error_at = now(),
         error_count = error_count + 1,
         consecutive_failures = consecutive_failures + 1,
         backing_off_until = $3,
         updated_at = now()
       WHERE name = $1`,
      [name, message, until],
    );
  }

  /** Records sent to the dead-letter topic outside a success step (e.g. by a webhook endpoint). */
  async reportDeadLettered(name: string, count: number): Promise<void> {
    await this.db.query(`UPDATE connectors SET dead_lettered_total = dead_lettered_total + $2, error_count = error_count + $2, updated_at = now() WHERE name = $1`, [name, count]);
  }

  async isPaused(name: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT state FROM connectors WHERE name = $1`, [name]);
    return rows[0]?.state === 'paused';
  }

  async pause(name: string): Promise<ConnectorStatus> {
    await this.require(name);
    await this.db.query(`UPDATE connectors SET state = 'paused', updated_at = now() WHERE name = $1`, [name]);
    this.pushedConnectors.get(name)?.setPaused(true);
    return this.require(name);
  }

  /** Back to `running` from paused or failed; clears a pending backoff so the next step runs now. */
  async resume(name: string): Promise<ConnectorStatus> {
    await this.require(name);
    await this.db.query(`UPDATE connectors SET state = 'running', backing_off_until = NULL, consecutive_failures = 0, updated_at = now() WHERE name = $1`, [name]);
    this.pushedConnectors.get(name)?.setPaused(false);
    return this.require(name);
  }

  /**
   * Asks the connector to start again from `fromCursor` (null: from the beginning). Re-pulled
   * records carry the same event ids, so downstream applies each version once.
   */
  async requestResync(name: string, fromCursor: string | null): Promise<ConnectorStatus> {
    await this.require(name);
    await this.db.query(
      `UPDATE connectors SET resync_requested = true, resync_from = $2, resync_started_at = NULL, resync_finished_at = NULL,
         resync_events = 0, resync_total = NULL, updated_at = now() WHERE name = $1`,
      [name, fromCursor],
    );
    return this.require(name);
  }

  /**
   * For the connector: takes a pending resync request, if any, and moves the checkpoint to its
   * cursor in the same statement, so a crash right after cannot lose the request.
   */
  async claimResync(name: string): Promise<ResyncClaim | null> {
    const rows = await this.db.query(
      `UPDATE connectors SET resync_requested = false, cursor = resync_from, resync_started_at = now(), updated_at = now()
       WHERE name = $1 AND resync_requested RETURNING resync_from`,
      [name],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, affected].
    const [updated] = rows as [{ resync_from: string | null }[], number];
    return updated.length ? { fromCursor: updated[0].resync_from } : null;
  }

  private count(name: string, events: number): void {
    const now = Date.now();
    const window = (this.recent.get(name) ?? []).filter((entry) => entry.at > now - RATE_WINDOW_MS);
    if (events > 0) window.push({ at: now, events });
    this.recent.set(name, window);
  }

  private rate(name: string): number {
    const now = Date.now();
    const window = (this.recent.get(name) ?? []).filter((entry) => entry.at > now - RATE_WINDOW_MS);
    if (!window.length) return 0;
    const events = window.reduce((sum, entry) => sum + entry.events, 0);
    // Over the time actually covered, so a connector that started 5 s ago is not diluted over 60 s.
    const span = Math.max(1000, Math.min(RATE_WINDOW_MS, now - window[0].at + 1000));
    return Math.round((events / span) * 1000 * 10) / 10;
  }

  private toStatus(row: ConnectorRow): ConnectorStatus {
    // A pushed connector's counts not yet written (read while no write was under way: see `steady`).
    const unwritten = this.pushedConnectors.get(row.name)?.unwritten;
    return {
      name: row.name,
      kind: row.kind,
      state: row.state,
      config: row.config ?? {},
      cursor: row.cursor,
      lastSuccessAt: row.last_success_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      errorCount: Number(row.error_count),
      consecutiveFailures: row.consecutive_failures,
      backingOffUntil: row.backing_off_until,
      eventsTotal: Number(row.events_total) + (unwritten?.events ?? 0),
      deadLetteredTotal: Number(row.dead_lettered_total) + (unwritten?.deadLettered ?? 0),
      lagSeconds: unwritten?.lagSeconds ?? row.lag_seconds,
      eventsPerSecond: this.rate(row.name),
      resync: {
        requested: row.resync_requested,
        from: row.resync_from,
        startedAt: row.resync_started_at,
        finishedAt: row.resync_finished_at,
        events: Number(row.resync_events),
        total: row.resync_total === null ? null : Number(row.resync_total),
      },
    };
  }
}

interface ConnectorRow {
  name: string;
  kind: string;
  state: ConnectorState;
  config: Record<string, unknown> | null;
  cursor: string | null;
  last_success_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  error_count: string;
  consecutive_failures: number;
  backing_off_until: Date | null;
  events_total: string;
  dead_lettered_total: string;
  lag_seconds: number | null;
  resync_requested: boolean;
  resync_from: string | null;
  resync_started_at: Date | null;
  resync_finished_at: Date | null;
  resync_events: string;
  resync_total: string | null;
}
