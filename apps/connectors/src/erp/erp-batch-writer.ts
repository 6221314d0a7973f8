import type { Logger } from 'pino';
import { CustomerEventV1 } from '@tandem/contracts';
import { isTransientError } from '@tandem/messaging';
import { ErpChange } from './erp-change.mapper';
import { addToTrace } from './erp-trace';

/** Writes a batch of changes in one transaction and returns the events Kafka acknowledged. */
export type ApplyChanges = (changes: ErpChange[]) => Promise<CustomerEventV1[]>;

/** One partition's chunk waiting for the writer. */
interface Pending<T> {
  changes: ErpChange[];
  items: T[];
  resolve(): void;
  reject(error: unknown): void;
}

export interface WrittenGroup<T> {
  /** Changes handled (the chunks' length). */
  handled: number;
  events: CustomerEventV1[];
  /** What the chunks were made of, in submission order. */
  items: T[];
}

/**
 * Group commit for the partitions one process consumes: chunks submitted while a transaction runs
 * wait, and the next transaction takes all of them (up to `maxChanges`). One writer per process
 * means its partitions never queue for the source's lock behind each other, and bigger
 * transactions write each customer once however many of its changes they hold.
 *
 * A chunk's promise settles when its own changes are committed (or not). A group that fails for a
 * reason other than an outage is retried chunk by chunk, so a poison change fails only its own
 * partition's chunk and the consumer's retry and dead-letter rules see it alone.
 */
export class ErpBatchWriter<T> {
  private readonly queue: Pending<T>[] = [];
  private draining = false;
  /** When the writer last ran out of chunks (unset until its first transaction). */
  private idleSince?: number;

  constructor(
    private readonly apply: ApplyChanges,
    private readonly maxChanges: number,
    private readonly logger: Logger,
    private readonly onWritten?: (group: WrittenGroup<T>) => Promise<void> | void,
  ) {}

  /** Resolves once these changes are applied and their events acknowledged by Kafka. */
  write(changes: ErpChange[], items: T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ changes, items, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    // With TANDEM_ERP_TRACE: how long the writer waited for chunks (fetching and decoding not overlapped with it).
    if (this.idleSince !== undefined) addToTrace('writerIdle', performance.now() - this.idleSince);
    try {
      while (this.queue.length) await this.writeGroup(this.take());
    } finally {
      this.draining = false;
      this.idleSince = performance.now();
    }
  }

  /** The oldest chunks whose changes fit `maxChanges`; always at least one. */
  private take(): Pending<T>[] {
    let size = this.queue[0].changes.length;
    let count = 1;
    while (count < this.queue.length && size + this.queue[count].changes.length <= this.maxChanges) size += this.queue[count++].changes.length;
    return this.queue.splice(0, count);
  }

  private async writeGroup(group: Pending<T>[]): Promise<void> {
    let events: CustomerEventV1[];
    addToTrace('chunks', group.length);
    try {
      events = await this.apply(group.flatMap((p) => p.changes));
    } catch (error) {
      if (group.length === 1 || isTransientError(error)) {
        for (const pending of group) pending.reject(error);
        return;
      }
      for (const pending of group) await this.writeGroup([pending]);
      return;
    }
    try {
      await this.onWritten?.({ handled: group.reduce((n, p) => n + p.changes.length, 0), events, items: group.flatMap((p) => p.items) });
    } catch (error) {
      // Committed and acknowledged already: a failing report must not redo the work.
      this.logger.warn({ err: { message: (error as Error).message } }, 'erp connector: reporting a written batch failed');
    }
    for (const pending of group) pending.resolve();
  }
}
