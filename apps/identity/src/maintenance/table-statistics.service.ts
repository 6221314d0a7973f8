import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '@tandem/observability';
import { IdentityConfig } from '../identity.config';

/** The tables the resolver's statements join and look up by key (see libs/profiles/src/plan-writer.ts). */
export const RESOLVER_TABLES = ['source_records', 'identifiers', 'profiles', 'profile_links', 'review_queue', 'record_consents', 'profile_consents', 'profile_outbox', 'link_constraints'];

/**
 * Queues: a row lives until the relay has published it (milliseconds), so the live count swings between
 * none and a few thousand and "twice the rows of the last ANALYZE" held at almost every check. The
 * outbox was analyzed every 10 s (24 times in a 1M run, 0.01-0.35 s of PostgreSQL each, its heap full
 * of deleted rows), three times in the 30 s latency phase. Its reads and deletes go by primary key
 * range: analyzed once, when first large enough, never again on growth.
 */
export const QUEUE_TABLES = ['profile_outbox'];

/** Tables smaller than this are left to the planner's defaults (a scan of them costs nothing). */
const MIN_ROWS = 1000;

/**
 * Whether a table's planner statistics are out of date: never gathered, or gathered when it held less
 * than half the rows it holds now. Growth is what changes the resolver's plans; churn (a profile
 * updated again) does not, and re-analyzing on it would cost seconds of PostgreSQL CPU a minute.
 */
export function needsStatistics(liveRows: number, rowsWhenAnalyzed: number | null, queue = false): boolean {
  if (liveRows < MIN_ROWS) return false;
  return rowsWhenAnalyzed === null || (!queue && liveRows >= 2 * rowsWhenAnalyzed);
}

/**
 * Keeps PostgreSQL's planner statistics of the resolver's tables current as the population grows, as
 * autovacuum's analyze would (where it runs, this finds nothing to do). Without statistics the planner
 * takes every uuid key for non-selective: at 900,000 records it updated a moved record's identifiers
 * through a sequential scan of all 1.4 million (450 ms for 400 records; 43 ms by index once analyzed)
 * and compiled such statements with JIT. Checks every IDENTITY_ANALYZE_INTERVAL_MS (0: never), one
 * table at a time on one pooled connection, outside the resolution lock (ANALYZE blocks no writer).
 */
@Injectable()
export class TableStatistics implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.IDENTITY_ANALYZE_INTERVAL_MS;
    if (interval === 0) return;
    // At once too: a database loaded without statistics is planned badly from the first transaction.
    this.check();
    this.timer = setInterval(() => this.check(), interval);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private check(): void {
    if (this.running) return;
    this.running = this.analyzeStale()
      .catch((error: Error) => this.logger.warn({ err: { message: error.message } }, 'table statistics: check failed'))
      .finally(() => (this.running = undefined));
  }

  private async analyzeStale(): Promise<void> {
    // reltuples is what the last ANALYZE (or VACUUM) counted; -1 before either ever ran.
    const rows: Array<{ table: string; live: string; analyzed: string }> = await this.dataSource.query(
      `SELECT c.relname AS "table", s.n_live_tup AS live, c.reltuples AS analyzed
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE c.relname = ANY($1::text[]) AND s.schemaname = current_schema()`,
      [RESOLVER_TABLES],
    );
    for (const row of rows) {
      const analyzed = Number(row.analyzed);
      if (!needsStatistics(Number(row.live), analyzed < 0 ? null : analyzed, QUEUE_TABLES.includes(row.table))) continue;
      const started = performance.now();
      await this.dataSource.query(`ANALYZE ${row.table}`);
      this.logger.info({ table: row.table, rows: Number(row.live), ms: Math.round(performance.now() - started) }, 'table statistics: analyzed');
    }
  }
}
