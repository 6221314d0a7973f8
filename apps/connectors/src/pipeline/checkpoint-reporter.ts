import { ConnectorRegistry, SuccessReport } from '../registry/connector-registry.service';

/**
 * Moves a connector's checkpoint as Kafka acknowledges its pages: in page order (a page's report
 * waits for every earlier page's acknowledgement, and a failed page stops all later reports), and
 * with at most one registry write at a time, reports that arrive meanwhile merged into the next
 * (their counts added up, the newest cursor kept). So the checkpoint never passes a page Kafka has
 * not acknowledged, and PostgreSQL sees a write per round trip rather than one per page.
 */
export class CheckpointReporter {
  private acknowledged: Promise<void> = Promise.resolve();
  private pending: SuccessReport | null = null;
  private writing: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  /** An operator paused the connector or asked for a resync (seen at the last write). */
  interrupted = false;

  constructor(private readonly registry: ConnectorRegistry, private readonly name: string) {}

  /** Reports `report` once `written` and every page before it are acknowledged. */
  after(written: Promise<void>, report: SuccessReport): void {
    this.acknowledged = this.acknowledged.then(async () => {
      await written;
      this.merge(report);
    });
    this.acknowledged.catch(() => undefined);
  }

  /** A checkpoint write failed (PostgreSQL away): the pull stops and backs off. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Waits for the reports of every acknowledged page to be written. */
  async flush(): Promise<void> {
    await this.acknowledged.catch(() => undefined);
    while (this.writing) await this.writing;
    this.throwIfFailed();
  }

  private merge(report: SuccessReport): void {
    const pending = this.pending;
    this.pending = pending
      ? {
          cursor: report.cursor,
          events: pending.events + report.events,
          deadLettered: (pending.deadLettered ?? 0) + (report.deadLettered ?? 0),
          lagSeconds: report.lagSeconds,
          sourceTotal: report.sourceTotal ?? pending.sourceTotal,
          caughtUp: pending.caughtUp || report.caughtUp,
        }
      : report;
    this.startWriting();
  }

  private startWriting(): void {
    if (this.writing || !this.pending || this.failure) return;
    const report = this.pending;
    this.pending = null;
    this.writing = this.registry
      .reportSuccess(this.name, report)
      .then(
        (requests) => {
          if (requests.paused || requests.resyncRequested) this.interrupted = true;
        },
        (error) => {
          this.failure = { error };
        },
      )
      .finally(() => {
        this.writing = null;
        this.startWriting();
      });
  }
}
