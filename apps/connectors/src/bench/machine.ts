import fs from 'node:fs';
import os from 'node:os';

/** CPU seconds used so far by the processes a connector run keeps busy. */
export interface CpuSample {
  /** This process: the connector (and its Kafka producer and PostgreSQL client). */
  connector: number;
  /** The PostgreSQL backends serving the connector's connections, by process id. */
  postgres: Map<number, number>;
  /** The Kafka broker's JVM (the one given; other brokers on the machine are other people's). */
  kafka: number;
  /** Whole machine, all cores, busy time. */
  machine: number;
  /** Child processes of this one (the benchmark's simulated CRM), exited or not. */
  children: number;
}

const TICKS = 100; // USER_HZ on Linux; /proc reports times in these.

/** The broker the benchmark writes to, when it runs on this machine; its CPU reads 0 without it. */
const BROKER_PID = Number(process.env.BENCH_KAFKA_PID) || undefined;

/**
 * Reads CPU times from /proc (Linux; elsewhere only this process is known and the rest read 0).
 * `postgresPids`: the backends of the connector's own sessions (pg_stat_activity), so other people's
 * queries on a shared server are not counted; likewise only the broker `BENCH_KAFKA_PID` names
 * (set by scripts/bench-connectors.mjs) is counted, not every broker running on the machine.
 */
export function sampleCpu(postgresPids: number[] = [], childPids: number[] = []): CpuSample {
  const own = process.cpuUsage();
  const sample: CpuSample = { connector: (own.user + own.system) / 1e6, postgres: new Map(), kafka: 0, machine: 0, children: 0 };
  if (!fs.existsSync('/proc/stat')) return sample;
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  sample.machine = (fields.slice(0, 8).reduce((a, b) => a + b, 0) - fields[3] - fields[4]) / TICKS;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    if (postgresPids.includes(Number(entry))) {
      sample.postgres.set(Number(entry), stat.utime + stat.stime);
    } else if (Number(entry) === BROKER_PID) {
      sample.kafka += stat.utime + stat.stime;
    } else if (childPids.includes(Number(entry))) {
      sample.children += stat.utime + stat.stime;
    }
  }
  return sample;
}

/** CPU seconds used between two samples (`postgres` summed over the backends, new ones from 0). */
export interface CpuUsed {
  connector: number;
  postgres: number;
  kafka: number;
  machine: number;
  children: number;
}

export function cpuBetween(before: CpuSample, after: CpuSample): CpuUsed {
  let postgres = 0;
  for (const [pid, seconds] of after.postgres) postgres += seconds - (before.postgres.get(pid) ?? 0);
  return {
    connector: after.connector - before.connector,
    postgres,
    kafka: after.kafka - before.kafka,
    machine: after.machine - before.machine,
    children: after.children - before.children,
  };
}

/** Whether the broker's CPU is counted (BENCH_KAFKA_PID names it). */
export function brokerMeasured(): boolean {
  return BROKER_PID !== undefined;
}

/** `load average 1.2 0.8 0.5 on 2 cores, CPU pressure 3.1%` (pressure where the kernel reports it). */
export function machineLoad(): string {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  let pressure = '';
  try {
    const cpu = /avg10=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    pressure = `, CPU pressure ${cpu?.[1]}% (avg10: share of time some task waited for a core)`;
  } catch {
    // No PSI on this kernel.
  }
  return `load average ${load} on ${os.cpus().length} cores${pressure}`;
}

interface ProcStat {
  comm: string;
  utime: number;
  stime: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const rest = text.slice(close + 2).split(' ');
    // Fields after comm: state(0) ppid(1) … utime(11) stime(12).
    return { comm, utime: Number(rest[11]) / TICKS, stime: Number(rest[12]) / TICKS };
  } catch {
    return null;
  }
}

