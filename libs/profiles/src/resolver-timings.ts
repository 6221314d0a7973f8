import { readFileSync } from 'node:fs';
import type { OneBufferQuery } from './one-buffer-query';

/** Anything that runs SQL the way the resolver does. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A node-postgres client (a transaction's connection), whose pipeline mode the plan writer switches on while it writes. */
export interface PipelineClient {
  pipeline: boolean;
  query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null; command: string }>;
  /** A submittable query (node-postgres answers through its callback). */
  query(query: OneBufferQuery): unknown;
}

/**
 * Where the resolver's time goes, cumulated by phase (catch-up, staging, planning, each kind of
 * statement, commit): what an operator or a benchmark reads to see whether the process or the database
 * is the limit. Statement phases are named by their first words (`INSERT INTO source_records`).
 */
export class ResolverTimings {
  private readonly totals = new Map<string, { seconds: number; count: number }>();

  add(phase: string, ms: number): void {
    const t = this.totals.get(phase);
    if (t) {
      t.seconds += ms / 1000;
      t.count++;
    } else this.totals.set(phase, { seconds: ms / 1000, count: 1 });
  }

  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  /**
   * A view of `db` whose statements are timed under their first words; with `backendPid` (a session's
   * PostgreSQL process on this machine), the CPU that process spent on each statement too.
   */
  timed(db: Queryable, backendPid?: number): Queryable {
    return {
      query: async (sql, parameters) => {
        const name = statementName(sql);
        const cpu = backendPid === undefined ? 0 : processCpuMs(backendPid);
        try {
          return await this.time(`sql ${name}`, () => db.query(sql, parameters));
        } finally {
          if (backendPid !== undefined) this.add(`pg-cpu ${name}`, processCpuMs(backendPid) - cpu);
        }
      },
    };
  }

  snapshot(): Array<{ phase: string; seconds: number; count: number }> {
    return [...this.totals.entries()].map(([phase, t]) => ({ phase, ...t }));
  }

  private readonly work = new Map<string, number>();

  /** Counts what the planner did (records searched, postings visited, candidates, pairs scored), cumulated. */
  count(kind: string, n: number): void {
    this.work.set(kind, (this.work.get(kind) ?? 0) + n);
  }

  counts(): Array<{ kind: string; total: number }> {
    return [...this.work.entries()].map(([kind, total]) => ({ kind, total }));
  }
}

/** CPU (user + system) a local process has used, in ms (0 where /proc cannot be read). */
export function processCpuMs(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export function statementName(sql: string): string {
  const words = sql.trim().split(/\s+/);
  const verb = words[0].toUpperCase();
  const target = verb === 'INSERT' ? words[2] : verb === 'DELETE' ? words[2] : verb === 'UPDATE' ? words[1] : (words.find((w, i) => i > 0 && words[i - 1].toUpperCase() === 'FROM') ?? '');
  return `${verb.toLowerCase()} ${target}`.trim();
}
