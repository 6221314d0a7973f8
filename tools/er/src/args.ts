import { FIELD_KINDS, isFieldKind, type FieldKind } from '@tandem/identity-engine';
import { UsageError } from './csv';

export interface ErArgs {
  inputs: string[];
  id: string;
  fields: Array<{ column: string; kind: FieldKind }>;
  out: string;
  truth?: string;
  modelIn?: string;
  modelOut?: string;
  reviewOut?: string;
  linkThreshold?: number;
  reviewThreshold?: number;
  phoneRegion?: string;
  dayFirst: boolean;
  maxBlockSize?: number;
  threads?: number;
  quiet: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run er -- --input FILE.csv [--input SECOND.csv] --id COLUMN --field COLUMN:KIND [--field ...] --out CLUSTERS.csv [--truth COLUMN]

Resolves the records of one CSV (deduplication) or two CSVs (linkage: only pairs across the files are
compared) into clusters, and writes record_id,cluster_id for every input record.

Required
  --input FILE          CSV with a header row (give twice for linkage)
  --id COLUMN           column holding each record's id (opaque to the matcher)
  --field COLUMN:KIND   a column to match on and its kind; repeat. KIND is one of:
                        ${FIELD_KINDS.join(', ')}
  --out FILE            where to write record_id,cluster_id (written atomically)

Optional
  --truth COLUMN        true cluster label, used only for scoring after matching; prints pairwise
                        precision/recall/F1 (cross-file pairs for linkage) and B-cubed F1.
                        Labels like <key>-org / <key>-dup-<k> (FEBRL) are reduced to <key>.
  --link-threshold P    match probability to link (default 0.9)
  --review-threshold P  match probability to queue for review (default 0.3)
  --phone-region CC     region for national phone numbers (default GB)
  --month-first         read ambiguous dates like 03/04/1990 as month/day (default day/month)
  --max-block-size N    blocks larger than N records generate no pairs (default 120)
  --model FILE          score with this MatchModel JSON instead of training on the input
  --model-out FILE      write the trained MatchModel JSON (with the file's value frequencies for the hub)
  --review-out FILE     write pairs for the review queue (record_a,record_b,probability)
  --threads N           threads that score candidate pairs (default: the machine's cores; same result for any N)
  --quiet               no progress lines on stderr
  --help                this text

Exit codes: 0 done, 2 bad usage or bad input (nothing written), 1 unexpected failure.`;

function num(flag: string, v: string, min: number, max: number): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) throw new UsageError(`${flag} must be a number between ${min} and ${max}, got '${v}'`);
  return x;
}

export function parseArgs(argv: readonly string[]): ErArgs {
  const a: ErArgs = { inputs: [], id: '', fields: [], out: '', dayFirst: true, quiet: false, help: false };
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    const takeValue = (): string => {
      const v = argv[k + 1];
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${flag} needs a value`);
      k++;
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        a.help = true;
        break;
      case '--input':
        a.inputs.push(takeValue());
        break;
      case '--id':
        a.id = takeValue();
        break;
      case '--field': {
        const v = takeValue();
        const at = v.lastIndexOf(':');
        if (at <= 0 || at === v.length - 1) throw new UsageError(`--field must be COLUMN:KIND, got '${v}'`);
        const column = v.slice(0, at);
        const kind = v.slice(at + 1);
        if (!isFieldKind(kind)) throw new UsageError(`unknown KIND '${kind}' in --field ${v} (expected one of: ${FIELD_KINDS.join(', ')})`);
        if (a.fields.some((f) => f.column === column)) throw new UsageError(`column '${column}' is given twice in --field`);
        a.fields.push({ column, kind });
        break;
      }
      case '--out':
        a.out = takeValue();
        break;
      case '--truth':
        a.truth = takeValue();
        break;
      case '--model':
        a.modelIn = takeValue();
        break;
      case '--model-out':
        a.modelOut = takeValue();
        break;
      case '--review-out':
        a.reviewOut = takeValue();
        break;
      case '--link-threshold':
        a.linkThreshold = num(flag, takeValue(), 0.000001, 0.999999);
        break;
      case '--review-threshold':
        a.reviewThreshold = num(flag, takeValue(), 0.000001, 0.999999);
        break;
      case '--phone-region': {
        const v = takeValue().toUpperCase();
        if (!/^[A-Z]{2}$/.test(v)) throw new UsageError(`--phone-region must be a two-letter region code, got '${v}'`);
        a.phoneRegion = v;
        break;
      }
      case '--month-first':
        a.dayFirst = false;
        break;
      case '--max-block-size':
        a.maxBlockSize = num(flag, takeValue(), 2, 1_000_000);
        break;
      case '--threads':
        a.threads = Math.round(num(flag, takeValue(), 1, 64));
        break;
      case '--quiet':
        a.quiet = true;
        break;
      default:
        throw new UsageError(`unknown option '${flag}' (see --help)`);
    }
  }
  if (a.help) return a;
  if (a.inputs.length === 0) throw new UsageError('missing --input FILE.csv');
  if (a.inputs.length > 2) throw new UsageError('at most two --input files (one to deduplicate, two to link)');
  if (!a.id) throw new UsageError('missing --id COLUMN');
  if (a.fields.length === 0) throw new UsageError('missing --field COLUMN:KIND (at least one)');
  if (!a.out) throw new UsageError('missing --out CLUSTERS.csv');
  if (a.linkThreshold !== undefined && a.reviewThreshold !== undefined && a.reviewThreshold > a.linkThreshold) {
    throw new UsageError('--review-threshold must not exceed --link-threshold');
  }
  return a;
}

/** FEBRL-style labels (rec-12-org, rec-12-dup-3) name one person by their stem. */
export function truthKey(value: string): string {
  const v = value.trim();
  const m = /^(.*?)-(?:org|dup-\d+)$/.exec(v);
  return m ? m[1] : v;
}
