import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { LOGGER, Metrics } from '@tandem/observability';
import { IdentityConfig } from '../identity.config';
import type { RelayWorkerData, RelayWorkerReport } from './relay-worker';

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
 *
 * The relay runs in a worker thread of its own (relay-worker.ts, with its own PostgreSQL connections
 * and Kafka producer), so its reads, JSON and produce requests do not take turns with resolution on
 * this process's main thread. A worker that stops is started again.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private worker?: Worker;
  private exited?: Promise<void>;
  private readonly published;

  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {
    this.published = metrics.counter('identity_profile_changes_published_total', 'Profile changes published to the change topic');
  }

  onApplicationBootstrap(): void {
    if (this.config.IDENTITY_OUTBOX_RELAY !== 'on') return;
    this.running = true;
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.worker?.postMessage('stop');
    const exited = this.exited;
    if (!exited) return;
    // A relay stuck on the broker or the database does not hold the shutdown up for long.
    const timer = setTimeout(() => void this.worker?.terminate(), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private start(): void {
    const data: RelayWorkerData = {
      databaseUrl: this.config.DATABASE_URL,
      topic: this.config.IDENTITY_PROFILE_TOPIC,
      intervalMs: this.config.IDENTITY_OUTBOX_INTERVAL_MS,
      brokers: this.config.kafkaBrokers,
      clientId: 'tandem-identity-relay',
      startupTimeoutMs: this.config.STARTUP_TIMEOUT_MS,
    };
    const worker = new Worker(join(__dirname, 'relay-worker.js'), { workerData: data });
    this.worker = worker;
    worker.on('message', (r: RelayWorkerReport) => {
      if ('published' in r) this.published.inc(r.published);
      else this.logger[r.log]({ relay: r.fields }, r.message);
    });
    worker.on('error', (error) => this.logger.error({ err: { message: error.message } }, 'outbox relay worker failed'));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        resolve();
        if (!this.running) return;
        this.logger.warn({ code }, 'outbox relay worker exited; starting it again in 1 s');
        setTimeout(() => {
          if (this.running) this.start();
        }, 1000);
      }),
    );
  }
}
