/** An error PostgreSQL raises for one bad value (SQLSTATE class 22), not for the query as a whole. */
function isDataError(error: unknown): boolean {
  return /^22/.test(String((error as { code?: unknown })?.code));
}

/**
 * Runs concurrent single-key reads as one query per batch, at most `maxInFlight` queries at once.
 * A read that arrives while the slots are busy waits for the next batch, so under load many reads
 * share one round trip (one wake-up of the database and one of this process instead of one each).
 * When a slot is free the batch leaves at the end of the current turn of the event loop
 * (setImmediate), not with the first read: the requests read from all the sockets that were ready
 * together go in one query, where the first used to go alone. Nothing waits for a timer.
 */
export class QueryBatcher<K, R> {
  private queue: Array<{ key: K; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * @param run answers a batch: one result per key, in the keys' order
   * @param maxInFlight batches running at once
   * @param maxBatch keys in one batch at most
   */
  constructor(
    private readonly run: (keys: K[]) => Promise<R[]>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {}

  load(key: K): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.execute(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async execute(batch: QueryBatcher<K, R>['queue']): Promise<void> {
    try {
      const results = await this.run(batch.map((item) => item.key));
      batch.forEach((item, i) => item.resolve(results[i]));
    } catch (error) {
      // One value PostgreSQL refuses must not fail the reads that shared its batch: each is tried alone.
      if (batch.length > 1 && isDataError(error)) {
        for (const item of batch) await this.run([item.key]).then(([result]) => item.resolve(result), item.reject);
        return;
      }
      for (const item of batch) item.reject(error);
    }
  }
}
