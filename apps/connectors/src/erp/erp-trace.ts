import fs from 'node:fs';
import { EntityManager } from 'typeorm';

/**
 * With TANDEM_ERP_TRACE set (the benchmark), where `applyErpBatch` spends its time: wall ms per
 * phase, summed over all batches, and (`pg.<phase>`) the CPU ms its PostgreSQL backend used in
 * that phase, read from /proc (Linux, same machine) in 10 ms ticks, so only sums are meaningful.
 */
export const TRACE: Record<string, number> | undefined = process.env.TANDEM_ERP_TRACE ? {} : undefined;

/** Adds to a traced total outside a transaction's laps (no-op when tracing is off). */
export function addToTrace(name: string, amount: number): void {
  if (TRACE) TRACE[name] = (TRACE[name] ?? 0) + amount;
}

/** Laps of one transaction; null when tracing is off, so callers write `clock?.lap('phase')`. */
export class PhaseClock {
  private at = performance.now();
  private backend = 0;
  private cpu = 0;

  private constructor(private readonly totals: Record<string, number>) {}

  static start(): PhaseClock | null {
    return TRACE ? new PhaseClock(TRACE) : null;
  }

  /** Follows the CPU time of the backend behind `manager` from now on. */
  async attach(manager: EntityManager): Promise<void> {
    const [{ pid }] = await manager.query('SELECT pg_backend_pid() AS pid');
    this.backend = pid;
    this.cpu = backendCpuMs(pid);
    this.at = performance.now();
  }

  lap(phase: string): void {
    const now = performance.now();
    this.add(phase, now - this.at);
    this.at = now;
    if (this.backend) {
      const cpu = backendCpuMs(this.backend);
      this.add(`pg.${phase}`, cpu - this.cpu);
      this.cpu = cpu;
    }
  }

  add(name: string, amount: number): void {
    this.totals[name] = (this.totals[name] ?? 0) + amount;
  }
}

function backendCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
