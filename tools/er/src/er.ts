import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import {
  DatasetBuilder,
  assertMatchModel,
  defaultModel,
  evaluateClusters,
  resolveDatasetParallel,
  termFrequencyTables,
  type FieldSpec,
  type MatchModel,
  type QualityReport,
} from '@tandem/identity-engine';
import { csvField, readCsv, UsageError } from './csv';
import { parseArgs, truthKey, USAGE, type ErArgs } from './args';

export interface ErIo {
  out(line: string): void;
  err(line: string): void;
}

const defaultIo: ErIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

export interface ErSummary {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  peakMemoryBytes: number;
  quality?: QualityReport;
}

/** Runs the benchmark CLI; resolves to the process exit code. */
export async function runEr(argv: readonly string[], io: ErIo = defaultIo): Promise<number> {
  let args: ErArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`er: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const tmpFiles: string[] = [];
  try {
    await execute(args, io, tmpFiles);
    return 0;
  } catch (e) {
    for (const t of tmpFiles) rmSync(t, { force: true });
    if (e instanceof UsageError) {
      io.err(`er: ${e.message}`);
      return 2;
    }
    io.err(`er: failed: ${(e as Error).message}`);
    return 1;
  }
}

function tempPath(target: string, tmpFiles: string[]): string {
  const dir = dirname(resolvePath(target));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`output directory does not exist: ${dir}`);
  const t = `${resolvePath(target)}.tmp-${process.pid}`;
  tmpFiles.push(t);
  return t;
}

async function execute(args: ErArgs, io: ErIo, tmpFiles: string[]): Promise<ErSummary> {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const log = (msg: string) => {
    if (!args.quiet) io.err(`er: ${msg}`);
  };
  const schema: FieldSpec[] = args.fields.map((f) => ({ name: f.column, kind: f.kind }));
  let model: MatchModel | undefined;
  if (args.modelIn) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(args.modelIn, 'utf8'));
      assertMatchModel(parsed);
    } catch (e) {
      throw new UsageError(`--model ${args.modelIn}: ${(e as Error).message}`);
    }
    model = parsed;
    const names = model.fields.map((f) => `${f.name}:${f.kind}`).join(',');
    if (names !== schema.map((f) => `${f.name}:${f.kind}`).join(',')) throw new UsageError(`--model ${args.modelIn} was trained on fields ${names}, not on the --field list given`);
  } else {
    model = defaultModel(schema, {
      normalization: { phoneRegion: args.phoneRegion ?? 'GB', date: { dayFirst: args.dayFirst } },
      linkThreshold: args.linkThreshold,
      reviewThreshold: args.reviewThreshold,
      maxBlockSize: args.maxBlockSize,
    });
  }
  if (args.modelIn && (args.linkThreshold !== undefined || args.reviewThreshold !== undefined)) {
    model = { ...model, thresholds: { link: args.linkThreshold ?? model.thresholds.link, review: args.reviewThreshold ?? model.thresholds.review } };
  }
  const builder = new DatasetBuilder(schema, model.normalization);
  const truthBySource: Array<Map<string, string>> = [];
  const linkage = args.inputs.length === 2;

  for (let s = 0; s < args.inputs.length; s++) {
    const file = args.inputs[s];
    const source = String(s);
    const seen = new Set<string>();
    const truth = new Map<string, string>();
    truthBySource.push(truth);
    let header: string[] | null = null;
    let idCol = -1;
    let truthCol = -1;
    let cols: number[] = [];
    const raw: string[] = new Array<string>(schema.length);
    let rows = 0;
    await readCsv(file, (row, line) => {
      if (!header) {
        header = row.map((h) => h.trim());
        const find = (name: string, what: string) => {
          const i = (header as string[]).indexOf(name);
          if (i < 0) throw new UsageError(`${file}: ${what} column '${name}' not found (columns: ${(header as string[]).join(', ')})`);
          return i;
        };
        idCol = find(args.id, '--id');
        cols = args.fields.map((f) => find(f.column, '--field'));
        if (args.truth) truthCol = find(args.truth, '--truth');
        return;
      }
      if (row.length !== header.length) throw new UsageError(`${file} line ${line}: expected ${header.length} columns, found ${row.length}`);
      const id = row[idCol].trim();
      if (!id) throw new UsageError(`${file} line ${line}: empty record id in column '${args.id}'`);
      if (seen.has(id)) throw new UsageError(`${file} line ${line}: record id '${id}' appears more than once`);
      seen.add(id);
      for (let f = 0; f < cols.length; f++) raw[f] = row[cols[f]].trim();
      builder.add(id, source, raw);
      if (truthCol >= 0) truth.set(id, truthKey(row[truthCol]));
      rows++;
    });
    if (!header) throw new UsageError(`${file} is empty (no header row)`);
    if (rows === 0) throw new UsageError(`${file} has a header but no records`);
    log(`read ${rows} records from ${file}`);
  }

  const ds = builder.build();
  const result = await resolveDatasetParallel(ds, {
    threads: args.threads,
    model,
    train: !args.modelIn,
    linkOnly: linkage,
    onStage: (stage) => log(`${stage} done`),
  });

  const outTmp = tempPath(args.out, tmpFiles);
  await writeLines(outTmp, 'record_id,cluster_id', ds.size, (i) => `${csvField(ds.ids[i])},${csvField(ds.ids[result.labels[i]])}`);
  let reviewTmp: string | null = null;
  if (args.reviewOut) {
    reviewTmp = tempPath(args.reviewOut, tmpFiles);
    const e = result.edges;
    await writeLines(reviewTmp, 'record_a,record_b,probability', result.review.length, (k) => {
      const x = result.review[k];
      const p = 1 / (1 + Math.pow(2, -e.score[x]));
      return `${csvField(ds.ids[e.a[x]])},${csvField(ds.ids[e.b[x]])},${p.toFixed(4)}`;
    });
  }
  let modelTmp: string | null = null;
  if (args.modelOut) {
    modelTmp = tempPath(args.modelOut, tmpFiles);
    // A model trained here keeps the file's value frequencies, which the hub's streaming resolver
    // weighs exact agreements by (the batch run reads them from the file itself).
    const written = args.modelIn ? result.model : { ...result.model, termFrequencies: termFrequencyTables(ds, result.model) };
    writeFileSync(modelTmp, `${JSON.stringify(written, null, 2)}\n`);
  }
  renameSync(outTmp, args.out);
  if (reviewTmp && args.reviewOut) renameSync(reviewTmp, args.reviewOut);
  if (modelTmp && args.modelOut) renameSync(modelTmp, args.modelOut);

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = process.resourceUsage().maxRSS * 1024;
  const st = result.stats;
  io.out(`records: ${ds.size}${linkage ? ` (linkage: ${ds.sourceNames.length} files, cross-file pairs only)` : ''}`);
  io.out(
    `pairs: ${st.candidatePairs} candidates from ${st.blockingRules} blocking rules (${st.blocks} blocks, ${st.windowedBlocks} windowed, ${st.oversizedBlocks} skipped as too large); ${st.linkEdges} links, ${st.reviewEdges} for review, ${st.refusedLinks} links refused by clustering`,
  );
  io.out(`clusters: ${st.clusters} (largest ${st.largestCluster}); model: prior ${result.model.prior.toFixed(4)}, EM ${st.emIterations} iterations on ${result.model.training.emPairs} pairs`);
  let quality: QualityReport | undefined;
  if (args.truth) {
    const keys = new Map<string, number>();
    const truth = new Int32Array(ds.size);
    for (let i = 0; i < ds.size; i++) {
      const t = truthBySource[ds.sources[i]].get(ds.ids[i]) as string;
      let k = keys.get(t);
      if (k === undefined) {
        k = keys.size;
        keys.set(t, k);
      }
      truth[i] = k;
    }
    quality = evaluateClusters(result.labels, truth, ds.sources, linkage);
    const p = quality.pairwise;
    io.out(
      `pairwise${linkage ? ' (cross-file)' : ''}: precision ${p.precision.toFixed(4)} recall ${p.recall.toFixed(4)} F1 ${p.f1.toFixed(4)} (true pairs ${p.truePairs}, predicted ${p.predictedPairs}, correct ${p.correctPairs})`,
    );
    const b = quality.bcubed;
    io.out(`b-cubed: precision ${b.precision.toFixed(4)} recall ${b.recall.toFixed(4)} F1 ${b.f1.toFixed(4)}`);
  }
  const timings = Object.entries(st.timingsMs)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}s/${((st.cpuMs[k] ?? 0) / 1000).toFixed(2)}s cpu`)
    .join(', ');
  log(`pairs per blocking rule: ${Object.entries(st.rulePairs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  io.out(`speed: ${ds.size} records in ${seconds.toFixed(2)} s = ${Math.round(ds.size / seconds)} records/s (${timings}; scoring on ${st.scoringThreads} thread${st.scoringThreads > 1 ? 's' : ''})`);
  const cpu = process.cpuUsage(cpuStart);
  io.out(`peak memory: ${(peak / 2 ** 20).toFixed(0)} MiB (max RSS); cpu: user ${(cpu.user / 1e6).toFixed(2)} s, system ${(cpu.system / 1e6).toFixed(2)} s`);
  return { records: ds.size, seconds, recordsPerSecond: ds.size / seconds, peakMemoryBytes: peak, quality };
}

async function writeLines(file: string, header: string, count: number, line: (i: number) => string): Promise<void> {
  const stream = createWriteStream(file);
  const done = new Promise<void>((res, rej) => {
    stream.on('finish', () => res());
    stream.on('error', rej);
  });
  let buf = `${header}\n`;
  for (let i = 0; i < count; i++) {
    buf += `${line(i)}\n`;
    if (buf.length > 1 << 20) {
      if (!stream.write(buf)) await new Promise<void>((r) => stream.once('drain', () => r()));
      buf = '';
    }
  }
  stream.end(buf);
  await done;
}
