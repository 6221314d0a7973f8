import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { generateRecords, SYNTHETIC_COLUMNS } from '@tandem/synthetic';
import { csvField } from './csv';

const USAGE = `Usage: npm run gen:people -- --records N --out FILE.csv [--seed S] [--duplicate-share 0.4] [--household-share 0.08] [--corruption 1]
Writes synthetic people with corrupted duplicates; person_id is the truth column.`;

const HEADER = ['record_id', 'person_id', 'given_name', 'family_name', 'birth_date', 'email', 'phone', 'street', 'house_number', 'city', 'postcode'];

async function main(argv: string[]): Promise<number> {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      process.stderr.write(`gen-people: bad argument '${argv[i]}'\n${USAGE}\n`);
      return 2;
    }
    opts[argv[i].slice(2)] = argv[++i];
  }
  const records = Number(opts.records);
  if (!Number.isInteger(records) || records < 1 || !opts.out) {
    process.stderr.write(`gen-people: --records N (positive integer) and --out FILE are required\n`);
    return 2;
  }
  const tmp = `${opts.out}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let buf = `${HEADER.join(',')}\n`;
  try {
    for (const r of generateRecords({
      records,
      seed: opts.seed ? Number(opts.seed) : 42,
      duplicateShare: opts['duplicate-share'] ? Number(opts['duplicate-share']) : undefined,
      householdShare: opts['household-share'] ? Number(opts['household-share']) : undefined,
      corruption: opts.corruption ? Number(opts.corruption) : undefined,
    })) {
      buf += `${SYNTHETIC_COLUMNS.map((c) => csvField(r[c])).join(',')}\n`;
      if (buf.length > 1 << 20) {
        if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
        buf = '';
      }
    }
    await new Promise<void>((res, rej) => {
      out.on('error', rej);
      out.end(buf, () => res());
    });
    renameSync(tmp, opts.out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  process.stderr.write(`gen-people: wrote ${records} records to ${opts.out}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`gen-people: failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
