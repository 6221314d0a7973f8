import { Presets, SingleBar } from 'cli-progress';
import { connectDatabase, DEFAULT_DATABASE_URL } from '@tandem/persistence';
import { dryRun, loadModel, rebuildProfiles, type DryRunChange } from '@tandem/profiles';
import { Args, CommandGroup, UsageError } from '../command';

/**
 * `profiles rebuild|dry-run`: recompute every profile from the stored source records after a rule or
 * model change, or report what such a change would merge and split without changing anything.
 * Connects to DATABASE_URL directly (a batch job, not a request).
 */
export const profilesCommand: CommandGroup = {
  name: 'profiles',
  summary: 'identity resolution: rebuild profiles from stored records; dry-run a rule or model change',
  usage: [
    'rebuild [--model FILE.json] [--link P] [--review P] [--source NAME,...] [--chunk N]   recompute every profile (runs beside the identity instances)',
    'dry-run [--model FILE.json] [--link P] [--review P] [--source NAME,...] [--show N] [--json]   what would merge or split; writes nothing',
  ],
  async run(args: Args): Promise<void> {
    const [command] = args.positional;
    if (command !== 'rebuild' && command !== 'dry-run') throw new UsageError('profiles: use rebuild or dry-run (see --help)');
    const model = loadModel(stringOption(args, 'model'), { link: probability(args, 'link'), review: probability(args, 'review') });
    const db = await connectDatabase({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, timeoutMs: 10000, poolSize: 2, applicationName: 'tandem-cli' });
    try {
      if (command === 'rebuild') await rebuild(db, model, args);
      else await reportDryRun(db, model, args);
    } finally {
      await db.destroy();
    }
  },
};

async function rebuild(db: Parameters<typeof rebuildProfiles>[0], model: Parameters<typeof rebuildProfiles>[1], args: Args): Promise<void> {
  const chunk = integer(args, 'chunk', 1, 10000) ?? 2000;
  const bar = new SingleBar({ format: '{phase} [{bar}] {percentage}% {value}/{total} records  eta {eta_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000, stream: process.stderr }, Presets.shades_classic);
  let phase = '';
  const started = Date.now();
  const sources = stringOption(args, 'source')?.split(',').map((s) => s.trim()).filter(Boolean);
  const result = await rebuildProfiles(db, model, {
    chunk,
    sources,
    onProgress: (p) => {
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        bar.start(p.total, 0, { phase: p.phase === 'keys' ? 'index keys' : 'profiles  ' });
      }
      bar.update(p.done, { phase: p.phase === 'keys' ? 'index keys' : 'profiles  ' });
    },
  });
  if (phase) bar.stop();
  process.stdout.write(
    `rebuilt ${result.records} records in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.profilesCreated} profiles created, ${result.profilesChanged} changed, ${result.profilesRetired} merged away or retired\n`,
  );
}

async function reportDryRun(db: Parameters<typeof dryRun>[0], model: Parameters<typeof dryRun>[1], args: Args): Promise<void> {
  const sources = stringOption(args, 'source')?.split(',').map((s) => s.trim()).filter(Boolean);
  const report = await dryRun(db, model, { sources });
  if (args.options.json === true) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const show = integer(args, 'show', 0, 1000) ?? 10;
  process.stdout.write(
    `dry run over ${report.records} records: ${report.currentProfiles} profiles now, ${report.proposedProfiles} with this model; ` +
      `${report.merges.length} would merge, ${report.splits.length} would split, ${report.unchangedProfiles} unchanged. Nothing was written.\n`,
  );
  const print = (title: string, list: DryRunChange[]) => {
    if (list.length === 0 || show === 0) return;
    process.stdout.write(`${title} (first ${Math.min(show, list.length)} of ${list.length}):\n`);
    for (const change of list.slice(0, show)) {
      process.stdout.write(`  profiles ${change.profiles.join(' + ')}: ${change.records.map((r) => `${r.source}:${r.sourceRecordId}`).join(', ')}\n`);
    }
  };
  print('would merge', report.merges);
  print('would split', report.splits);
}

function stringOption(args: Args, name: string): string | undefined {
  const value = args.options[name];
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value;
}

function probability(args: Args, name: string): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const p = Number(value);
  if (!(p > 0 && p < 1)) throw new UsageError(`--${name} must be a probability between 0 and 1 (got ${value})`);
  return p;
}

function integer(args: Args, name: string, min: number, max: number): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return Number(value);
}
