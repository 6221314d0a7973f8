import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '@tandem/observability';

/**
 * Keeps the audit log's index of audience profile ids (`audit_log_profiles_idx`, GIN) from merging
 * its pending list inside a request. An audience adds one entry per recipient to that list, and the
 * insert that finds it over 4 MB (about two audiences of 100,000 rows) merges it first: 0.5-0.9 s of
 * the audit connection's CPU, with every read waiting on that audit connection, in about half the
 * benchmark's audiences. Autovacuum would empty the list in the background; it is off here, so after
 * each audience the list is merged on the app's own connections, one merge at a time.
 */
@Injectable()
export class AuditIndexUpkeep {
  private running = false;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Starts a merge unless one is running; never throws (the audit rows are already committed). */
  afterAudience(): void {
    if (this.running) return;
    this.running = true;
    this.db
      .query(`SELECT gin_clean_pending_list('audit_log_profiles_idx'::regclass)`)
      .catch((error: unknown) => this.logger.warn({ err: { message: (error as Error).message } }, 'audit index upkeep failed'))
      .finally(() => (this.running = false));
  }
}
