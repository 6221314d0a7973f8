import fs from 'node:fs';
import os from 'node:os';

const TICKS = 100; // USER_HZ: /proc reports times in these.

/** CPU seconds (user + system) of processes by role, and of the whole machine. */
export interface CpuSample {
  byRole: Map<string, number>;
  machine: number;
}

/**
 * Reads CPU times from /proc (Linux): each role's processes summed (a role is a list of pids, the
 * Kafka broker's JVM when its pids are `'kafka'`, or `{ mainThreads }`: only the main threads of those
 * processes, not their worker threads), and the whole machine's busy time.
 */
export function sampleCpu(roles: Record<string, readonly number[] | 'kafka' | { mainThreads: readonly number[] }>): CpuSample {
  const sample: CpuSample = { byRole: new Map(Object.keys(roles).map((r) => [r, 0])), machine: 0 };
  if (!fs.existsSync('/proc/stat')) return sample;
  for (const [role, pids] of Object.entries(roles)) {
    if (typeof pids === 'object' && 'mainThreads' in pids) sample.byRole.set(role, pids.mainThreads.reduce((sum, pid) => sum + cpuSeconds(pid, `/proc/${pid}/task/${pid}/stat`), 0));
  }
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  sample.machine = (fields.slice(0, 8).reduce((a, b) => a + b, 0) - fields[3] - fields[4]) / TICKS;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    for (const [role, pids] of Object.entries(roles)) {
      if (typeof pids === 'object' && 'mainThreads' in pids) continue;
      const match = pids === 'kafka' ? isKafka(pid) : pids.includes(pid);
      if (!match) continue;
      const seconds = cpuSeconds(pid);
      sample.byRole.set(role, (sample.byRole.get(role) ?? 0) + seconds);
    }
  }
  return sample;
}

/** CPU µs per event by role between two samples. */
export function cpuPerEvent(before: CpuSample, after: CpuSample, events: number): string {
  const parts = [...after.byRole.entries()].map(([role, s]) => `${role} ${(((s - (before.byRole.get(role) ?? 0)) * 1e6) / events).toFixed(0)}`);
  parts.push(`whole machine ${(((after.machine - before.machine) * 1e6) / events).toFixed(0)}`);
  return `CPU µs per event: ${parts.join(', ')}`;
}

/** `load average 1.2 0.8 0.5 on 2 cores`. */
export function machineLoad(): string {
  return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`;
}

/** Resident memory of processes in MB, summed: now (VmRSS) and at its peak (VmHWM); 0 when a process has gone. */
export function residentMemory(pids: readonly number[]): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const pid of pids) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0) / 1024;
      peak += Number(/VmHWM:\s+(\d+)/.exec(text)?.[1] ?? 0) / 1024;
    } catch {
      // gone
    }
  }
  return { rss: Math.round(rss), peak: Math.round(peak) };
}

function cpuSeconds(pid: number, file = `/proc/${pid}/stat`): number {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS;
  } catch {
    return 0;
  }
}

function isKafka(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}
