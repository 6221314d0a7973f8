import { Injectable } from '@nestjs/common';

/** A dependency the service needs to do its work (PostgreSQL, Kafka). */
export interface HealthIndicator {
  readonly name: string;
  /** Resolves when the dependency answers; rejects with a message naming what is wrong. */
  check(): Promise<void>;
}

export interface CheckResult {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** Indicators register themselves here; readiness runs them all, each under a timeout. */
@Injectable()
export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicator>();
  private timeoutMs = 3000;

  register(indicator: HealthIndicator): void {
    this.indicators.set(indicator.name, indicator);
  }

  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }

  async readiness(): Promise<Readiness> {
    const entries = await Promise.all(
      [...this.indicators.values()].map(async (indicator) => [indicator.name, await this.run(indicator)] as const),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, result]) => result.status === 'up'), checks };
  }

  private async run(indicator: HealthIndicator): Promise<CheckResult> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([indicator.check(), timeout]);
      return { status: 'up', latencyMs: Date.now() - started };
    } catch (error) {
      return { status: 'down', latencyMs: Date.now() - started, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
