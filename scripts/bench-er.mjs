#!/usr/bin/env node
// `npm run bench:er [-- --sizes 10k,100k,1m --runs 3 --seed 42]`: seeded synthetic people (cached in
// .cache/er-bench, git-ignored, reused when present), the matcher run on each size in a fresh process,
// and one table: wall and CPU seconds, records/s, peak RSS, pairwise P/R/F1 and B-cubed F1, with the
// machine's conditions. Sizes up to 100k run --runs times and report the median (by wall time); larger
// sizes run once unless --runs-large says otherwise. The truth column is used only for scoring.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildEr } from './er.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `Usage: npm run bench:er -- [--sizes 10k,100k,1m] [--runs 3] [--runs-large 1] [--seed 42]`;

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size '${s}' (examples: 10000, 10k, 1m)`);
  const n = Math.round(Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1e3 : m[2].toLowerCase() === 'm' ? 1e6 : 1));
  if (n < 2) throw new Error(`size '${s}' is too small`);
  return n;
}

function parseArgs(argv) {
  const o = { sizes: [10_000, 100_000, 1_000_000], runs: 3, runsLarge: 1, seed: 42 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === '--sizes') o.sizes = v().split(',').map(parseSize);
    else if (a === '--runs') o.runs = Math.max(1, Number.parseInt(v(), 10) || 1);
    else if (a === '--runs-large') o.runsLarge = Math.max(1, Number.parseInt(v(), 10) || 1);
    else if (a === '--seed') o.seed = Number.parseInt(v(), 10);
    else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  return o;
}

const FIELDS = [
  'given_name:givenName',
  'family_name:familyName',
  'birth_date:birthDate',
  'email:email',
  'phone:phone',
  'street:street',
  'house_number:houseNumber',
  'city:city',
  'postcode:postcode',
];

function label(n) {
  return n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
}

function run(args, what) {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return r.stdout;
}

function num(re, text, what) {
  const m = re.exec(text);
  if (!m) throw new Error(`could not read ${what} from the er output:\n${text}`);
  return Number(m[1]);
}

function ensureData(dir, n, seed) {
  const file = join(dir, `people-${label(n)}-seed${seed}.csv`);
  if (existsSync(file)) return { file, cached: true };
  process.stderr.write(`bench:er: generating ${n} synthetic people (seed ${seed}) into ${file}\n`);
  run(['-r', join(root, 'dist', 'er', 'register-aliases.cjs'), join(root, 'dist', 'er', 'tools', 'er', 'src', 'gen-people.js'), '--records', String(n), '--seed', String(seed), '--out', file], 'gen-people');
  return { file, cached: false };
}

function measure(file, outDir) {
  const started = process.hrtime.bigint();
  const out = run(
    [
      '-r',
      join(root, 'dist', 'er', 'register-aliases.cjs'),
      join(root, 'dist', 'er', 'tools', 'er', 'src', 'main.js'),
      '--input',
      file,
      '--id',
      'record_id',
      ...FIELDS.flatMap((f) => ['--field', f]),
      '--truth',
      'person_id',
      '--out',
      join(outDir, 'clusters.csv'),
      '--quiet',
    ],
    'er',
  );
  const processSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    wall: num(/records in ([\d.]+) s/, out, 'wall time'),
    processSeconds,
    cpu: num(/cpu: user ([\d.]+) s/, out, 'user cpu') + num(/system ([\d.]+) s/, out, 'system cpu'),
    rss: num(/peak memory: (\d+) MiB/, out, 'peak memory'),
    pairs: num(/pairs: (\d+) candidates/, out, 'candidate pairs'),
    p: num(/pairwise: precision ([\d.]+)/, out, 'precision'),
    r: num(/pairwise: precision [\d.]+ recall ([\d.]+)/, out, 'recall'),
    f1: num(/pairwise: precision [\d.]+ recall [\d.]+ F1 ([\d.]+)/, out, 'F1'),
    b3: num(/b-cubed: precision [\d.]+ recall [\d.]+ F1 ([\d.]+)/, out, 'B-cubed F1'),
    stages: /\(([^)]*cpu[^)]*)\)/.exec(out)?.[1] ?? '',
  };
}

function median(runs) {
  const s = [...runs].sort((a, b) => a.wall - b.wall);
  return s[(s.length - 1) >> 1];
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  buildEr();
  const dir = join(root, '.cache', 'er-bench');
  mkdirSync(dir, { recursive: true });
  const load0 = os.loadavg();
  const rows = [];
  for (const n of o.sizes) {
    const { file, cached } = ensureData(dir, n, o.seed);
    const runs = n <= 100_000 ? o.runs : o.runsLarge;
    const results = [];
    for (let k = 0; k < runs; k++) {
      process.stderr.write(`bench:er: ${label(n)} run ${k + 1}/${runs} (load ${os.loadavg()[0].toFixed(2)})\n`);
      results.push(measure(file, dir));
    }
    const m = median(results);
    rows.push({ n, runs, cached, ...m, walls: results.map((r) => r.wall) });
  }
  const load1 = os.loadavg();
  const cpus = os.cpus();
  const lines = [];
  lines.push(`machine: ${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`);
  lines.push(`load average (1/5/15 min): start ${load0.map((x) => x.toFixed(2)).join('/')}, end ${load1.map((x) => x.toFixed(2)).join('/')}`);
  lines.push(`data: npm run gen:people, seed ${o.seed}, cached in .cache/er-bench; wall = er's own clock (read to write); cpu = user+system of the er process (all threads)`);
  const header = ['records', 'runs', 'wall s', 'cpu s', 'records/s', 'peak RSS MiB', 'pairs', 'P', 'R', 'F1', 'B3 F1'];
  const table = rows.map((r) => [
    String(r.n),
    r.runs > 1 ? `${r.runs} (median)` : '1',
    r.wall.toFixed(2),
    r.cpu.toFixed(2),
    String(Math.round(r.n / r.wall)),
    String(r.rss),
    String(r.pairs),
    r.p.toFixed(4),
    r.r.toFixed(4),
    r.f1.toFixed(4),
    r.b3.toFixed(4),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((t) => t[c].length)));
  const fmt = (cells) => `| ${cells.map((x, c) => x.padStart(widths[c])).join(' | ')} |`;
  lines.push(fmt(header));
  lines.push(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const t of table) lines.push(fmt(t));
  for (const r of rows) lines.push(`${label(r.n)}: walls ${r.walls.map((w) => w.toFixed(2)).join(', ')} s; stages (wall s / cpu s of the whole process) ${r.stages}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench:er: ${e.message}\n`);
  process.exit(1);
}
