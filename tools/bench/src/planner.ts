import 'reflect-metadata';
import { inspect } from 'node:util';
import { Session } from 'node:inspector';
import fs from 'node:fs';
import { Client } from 'pg';
import { hubModel, loadPopulation, Population, resolveOffline, ResolverTimings, type RecordChange } from '@tandem/profiles';
import { recordChange } from '../../../apps/identity/src/ingest/resolution.service';
import { syntheticEvents } from './stream';

/**
 * `npm run bench:planner -- (--database URL | --build P) [--population P] [--events N] [--batch B] [--profile FILE]`
 *
 * The identity main thread's in-memory work per event at a large population, without Kafka, writes or
 * other processes: the population is read from a database holding the first P events of
 * bench:pipeline's stream (a copy of `<bench database>_pop<P>`: read in one REPEATABLE READ
 * snapshot, never written; never the saved population itself, whose template copies fail while
 * anyone is connected to it), or resolved here from the same stream (`--build P`, minutes at 900k).
 * Then events P+1 to P+N of the stream are normalized and staged, planned and applied in batches of B
 * records, as a transaction of the identity app does (its survivorship, statements and Kafka work
 * are not included), and the CPU per event is printed with each step's time and the final profile count
 * (100k onto the 900k population: 598,817, as bench:pipeline). `--profile FILE` writes a CPU profile
 * of that part only. One process, one thread: figures vary less than the pipeline's, so builds can be
 * compared in a few minutes (run each build's dist).
 */

/** Events `skip` to `skip + count` of bench:pipeline's stream (seed 42), as the identity app reads them. */
function* streamChanges(skip: number, count: number): Generator<RecordChange> {
  for (const event of syntheticEvents(count, 42, 0, skip)) yield recordChange(event);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The changes in batches of `size` records (the identity app's transactions). */
function batches(changes: RecordChange[], size: number): RecordChange[][] {
  const out: RecordChange[][] = [];
  for (let i = 0; i < changes.length; i += size) out.push(changes.slice(i, i + size));
  return out;
}

async function loaded(url: string): Promise<Population> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const [{ n }] = (await client.query('SELECT count(*)::int AS n FROM source_records')).rows;
    const pop = new Population(hubModel(), n);
    // The loader takes an EntityManager; it only ever calls query(text, parameters) for rows.
    const manager = { query: async (text: string, parameters?: unknown[]) => (await client.query(text, parameters)).rows };
    await loadPopulation(manager as never, pop);
    await client.query('COMMIT');
    return pop;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (flag: string): string | undefined => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const database = option('--database');
  const build = Number(option('--build') ?? 0);
  const population = Number(option('--population') ?? (build || 900_000));
  const events = Number(option('--events') ?? 100_000);
  const batch = Number(option('--batch') ?? 2000);
  if (!database && !build) throw new Error('give --database URL (a copy of a saved population) or --build P');
  const started = Date.now();
  let pop: Population;
  if (database) pop = await loaded(database);
  else {
    pop = resolveOffline(batches([...streamChanges(0, build)], batch));
    // As a loaded population is (see loadPopulation).
    pop.packIndex();
  }
  process.stdout.write(`population: ${pop.liveRecords} records in ${pop.profiles.size} profiles (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  const work = batches([...streamChanges(population, events)], batch);
  const timings = new ResolverTimings();
  const profileTo = option('--profile');
  const session = profileTo ? new Session() : undefined;
  const post = (method: string, params: object = {}) => new Promise<unknown>((resolve, reject) => session?.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  if (session) {
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const cpu = cpuMs();
  const wall = Date.now();
  resolveOffline(work, pop.model, undefined, { population: pop, timings });
  const total = cpuMs() - cpu;
  if (session) {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    fs.writeFileSync(profileTo as string, JSON.stringify(profile));
  }
  const perEvent = (seconds: number) => ((seconds * 1e6) / events).toFixed(1);
  const steps = timings
    .snapshot()
    .map((t) => `${t.phase} ${perEvent(t.seconds)}`)
    .join(', ');
  const planner = timings
    .counts()
    .map((c) => `${c.kind} ${(c.total / events).toFixed(2)}`)
    .join(', ');
  process.stdout.write(
    `${events} events onto ${population}: CPU ${perEvent(total / 1000)} µs per event (wall µs per event: ${steps}); ${((Date.now() - wall) / 1000).toFixed(1)} s; ` +
      `${pop.profiles.size} profiles; planner per event: ${planner}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`bench planner: ${error instanceof Error ? error.message : inspect(error)}\n`);
  process.exit(1);
});
