import type { Logger } from 'pino';
import { ConnectorRegistry } from '../registry/connector-registry.service';
import { SourceBackoff } from './source-http';

export interface PollLoopSettings {
  /** The connector's name in the registry. */
  name: string;
  /** What fails, for the log line: "CRM pull", "marketing members pull". */
  what: string;
  /** One step; 'more' runs the next one at once, anything else waits `idleMs` first. */
  step: () => Promise<string>;
  idleMs: number;
  backoff: SourceBackoff;
  registry: ConnectorRegistry;
  logger: Logger;
}

/**
 * The loop of a polled source (the CRM pull, the marketing members pull): runs its step until
 * stopped, again at once while there is more, after `idleMs` otherwise. A failed step backs off
 * (SourceBackoff, honouring Retry-After), shows as backing off in the registry, and is tried
 * again after the delay, so the source recovers without an operator. `nudge` ends a wait early.
 */
export class PollLoop {
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly settings: PollLoopSettings) {}

  /** True once `stop` was called: a step under way should end at its next checkpoint. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the wait, lets the step under way finish, and resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /** Wakes a waiting loop now (after a resume or resync request in this process). */
  nudge(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { name, what, step, idleMs, backoff, registry, logger } = this.settings;
    while (!this.stopping) {
      let outcome: string;
      try {
        outcome = await step();
        backoff.succeeded();
      } catch (error) {
        const delay = backoff.failed(error);
        await registry.reportFailure(name, error, { backingOffUntil: new Date(Date.now() + delay) }).catch(() => undefined);
        logger.warn({ connector: name, err: { message: (error as Error).message }, retryInMs: delay }, `${what} failed, backing off`);
        await this.sleep(delay);
        continue;
      }
      if (outcome !== 'more') await this.sleep(idleMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
