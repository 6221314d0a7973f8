/** What a pushed connector has acknowledged since its last write to the registry. */
export interface PendingCounts {
  events: number;
  deadLettered: number;
  /** The last lag measured, if any since the last write. */
  lagSeconds: number | null;
}

/** The registry operations a {@link PushedConnector} needs (the registry itself in the app). */
export interface PushedConnectorStore {
  /** Writes the counts as one success step; answers whether the connector is paused now. */
  reportSuccess(name: string, report: { events: number; deadLettered: number; lagSeconds: number | null; pushed: true }): Promise<{ paused: boolean }>;
  isPaused(name: string): Promise<boolean>;
}

/**
 * A connector that sources push to (webhooks, the collection API): one HTTP request per step, far
 * too many to read and write the connector's row for each. It keeps, in memory:
 * - whether it is paused, re-read from the registry every `intervalMs` (so a pause made by
 *   another process takes effect within that time) and set at once by this process's pause/resume;
 * - the events and dead letters acknowledged by Kafka since the last write, added to the row every
 *   `intervalMs` and at shutdown, in one UPDATE. The registry adds them to what it answers, so this
 *   process's operations API shows them at once; other processes see them after the next write.
 *
 * Events are never held here: each request is answered only after Kafka acknowledged its own. What
 * a hard kill (SIGKILL) can lose is the last interval's counts, not events.
 */
export class PushedConnector {
  private pausedNow = false;
  private pending: PendingCounts = { events: 0, deadLettered: 0, lagSeconds: null };
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readers = 0;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly store: PushedConnectorStore,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Reads the state once, then keeps it current. */
  async start(): Promise<void> {
    this.pausedNow = await this.store.isPaused(this.name);
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  /** This process paused or resumed the connector: no need to wait for the next read. */
  setPaused(paused: boolean): void {
    this.pausedNow = paused;
  }

  /** Counts acknowledged by Kafka; call only after the acknowledgement. */
  record(events: number, deadLettered = 0, lagSeconds: number | null = null): void {
    if (this.closed) {
      // After the last write at shutdown: written straight away, as before.
      void this.store.reportSuccess(this.name, { events, deadLettered, lagSeconds, pushed: true }).catch(this.onError);
      return;
    }
    this.pending.events += events;
    this.pending.deadLettered += deadLettered;
    if (lagSeconds !== null) this.pending.lagSeconds = lagSeconds;
  }

  /** Not yet written to the registry. */
  get unwritten(): Readonly<PendingCounts> {
    return this.pending;
  }

  /**
   * Runs a read of the connector's row while no write of the counts is under way, so that the row
   * plus {@link unwritten} counts every acknowledged event exactly once.
   */
  async steady<T>(read: () => Promise<T>): Promise<T> {
    while (this.writing) await this.writing;
    this.readers++;
    try {
      return await read();
    } finally {
      this.readers--;
    }
  }

  /**
   * Writes what is pending (one UPDATE, which also answers the state) or, with nothing pending,
   * re-reads the state. One at a time, never during a read of the row (the next tick writes); a
   * failed write keeps its counts for the next one.
   */
  flush(): Promise<void> {
    if (!this.writing && this.readers === 0) this.writing = this.writeOnce().finally(() => (this.writing = null));
    return this.writing ?? Promise.resolve();
  }

  /** Stops the timer and writes what is pending; later counts are written as they come. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.readers > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.flush();
    if (this.pending.events || this.pending.deadLettered) await this.flush();
    this.closed = true;
  }

  private async writeOnce(): Promise<void> {
    const taken = this.pending;
    try {
      if (taken.events || taken.deadLettered || taken.lagSeconds !== null) {
        this.pending = { events: 0, deadLettered: 0, lagSeconds: null };
        this.pausedNow = (await this.store.reportSuccess(this.name, { ...taken, pushed: true })).paused;
      } else {
        this.pausedNow = await this.store.isPaused(this.name);
      }
    } catch (error) {
      if (this.pending !== taken) {
        this.pending.events += taken.events;
        this.pending.deadLettered += taken.deadLettered;
        this.pending.lagSeconds ??= taken.lagSeconds;
      }
      this.onError(error);
    }
  }
}
