import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { compileModel, levelWeights, modelFingerprint, type MatchModel } from '@tandem/identity-engine';
import { connectDatabase, DEFAULT_DATABASE_URL } from '@tandem/persistence';
import { dryRun, loadModel, rebuildProfiles, trainFromStoredRecords, type DryRunChange } from '@tandem/profiles';
import { Args, CommandGroup, UsageError } from '../command';

/**
 * `profiles rebuild|dry-run|train`: recompute every profile from the stored source records after a rule
 * or model change, report what such a change would merge and split without changing anything, or
 * train a model on the stored records. Connects to DATABASE_URL directly (a batch job, not a request).
 */
export const profilesCommand: CommandGroup = {
  name: 'profiles',
  summary: 'identity resolution: rebuild profiles from stored records; dry-run a rule or model change; train a model',
  usage: [
    'rebuild [--model FILE.json] [--link P] [--review P] [--source NAME,...] [--chunk N]   recompute every profile (runs beside the identity instances)',
    'dry-run [--model FILE.json] [--link P] [--review P] [--source NAME,...] [--show N] [--json]   what would merge or split; writes nothing',
    'train --out FILE.json [--model FILE.json] [--source NAME,...]   learn a model (EM, no labels) from the stored records, starting from --model or the default',
  ],
  async run(args: Args): Promise<void> {
    const [command] = args.positional;
    if (command !== 'rebuild' && command !== 'dry-run' && command !== 'train') throw new UsageError('profiles: use rebuild, dry-run or train (see --help)');
    const out = stringOption(args, 'out');
    if (command === 'train') checkWritable(out);
    const model = loadModel(stringOption(args, 'model'), { link: probability(args, 'link'), review: probability(args, 'review') });
    const db = await connectDatabase({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, timeoutMs: 10000, poolSize: 2, applicationName: 'tandem-cli' });
    try {
      if (command === 'rebuild') await rebuild(db, model, args);
      else if (command === 'train') await train(db, model, out as string, args);
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
    `rebuilt ${result.records} records with model ${modelFingerprint(model)} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.profilesCreated} profiles created, ${result.profilesChanged} changed, ${result.profilesRetired} merged away or retired; ` +
      `${result.reviewItemsRetired} review items no longer in the review band (obsolete)\n`,
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
    `dry run of model ${modelFingerprint(model)} over ${report.records} records: ${report.currentProfiles} profiles now, ${report.proposedProfiles} with this model; ` +
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

async function train(db: Parameters<typeof trainFromStoredRecords>[0], base: MatchModel, out: string, args: Args): Promise<void> {
  const sources = stringOption(args, 'source')?.split(',').map((s) => s.trim()).filter(Boolean);
  const started = Date.now();
  let read = 0;
  const progress = setInterval(() => process.stderr.write(`read ${read} records\n`), 5000);
  let result: Awaited<ReturnType<typeof trainFromStoredRecords>>;
  try {
    result = await trainFromStoredRecords(db, { base, sources, onProgress: (n) => (read = n) });
  } finally {
    clearInterval(progress);
  }
  const { model, records } = result;
  if (!model.training.trained) {
    throw new UsageError(`profiles train: ${records} records gave EM only ${model.training.emPairs} pairs to learn from, too few to train on; nothing was written (keep the current model)`);
  }
  // Written whole or not at all: a half-written model must never be loaded by an instance.
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(model, null, 2)}\n`);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  // The weights as the scorer uses them.
  const [after, before] = [levelWeights(model), levelWeights(base)];
  const compiled = compileModel(model);
  const weights = model.fields.map((f, i) => {
    const last = f.levels.length - 1;
    const line = `  ${f.name.padEnd(12)} exact ${signed(after[i][0])} bits (was ${signed(before[i][0])}), disagree ${signed(after[i][last])} (was ${signed(before[i][last])})`;
    const table = compiled.termFrequencies[i];
    if (table === null) return line;
    // What an exact agreement gains or loses by its value's frequency: the most common value, and a rare one.
    let common = 0;
    for (const tf of table.values.values()) common = Math.max(common, tf);
    const adjust = (tf: number) => signed(compiled.tfAdjustment(i, tf));
    return `${line}; by value frequency (${table.values.size} values): ${common > 0 ? `${adjust(common)} for the most common, ` : ''}${adjust(table.floor)} for a rare one`;
  });
  process.stdout.write(
    `trained on ${records} records of ${result.sources.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `EM ${model.training.emIterations} iterations on ${model.training.emPairs} pairs, u from ${model.training.randomPairs} random pairs, prior ${model.prior.toExponential(3)} (was ${base.prior.toExponential(3)})\n` +
      `${weights.join('\n')}\n` +
      `wrote ${out} (model ${modelFingerprint(model)}). To adopt it: profiles dry-run --model ${out} (what it would merge and split), then profiles rebuild --model ${out} and start the identity instances with IDENTITY_MODEL_FILE=${out}\n`,
  );
}

/** Refuses an --out the model could not be written to, before training spends its minutes. */
function checkWritable(out: string | undefined): asserts out is string {
  if (!out) throw new UsageError('profiles train: --out FILE.json is required (where the trained model is written)');
  const dir = path.dirname(path.resolve(out));
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`profiles train: cannot write ${out}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`profiles train: cannot write ${out}: ${code === 'ENOENT' ? `directory ${dir} does not exist` : `directory ${dir} is not writable`}`);
  }
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
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
