#!/usr/bin/env node
// Builds the identity engine and the benchmark CLI with tsc into dist/er (incremental, git-ignored),
// then runs the compiled CLI in this process. Works on a fresh clone after `npm ci`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'er');
const require = createRequire(import.meta.url);

export function buildEr() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tools', 'er', 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('er: build failed (tsc reported errors above)\n');
    process.exit(1);
  }
  mkdirSync(out, { recursive: true });
  // The compiled code imports libraries by their alias (@tandem/<lib>); map that to dist/er/libs/<lib>/src.
  writeFileSync(
    join(out, 'register-aliases.cjs'),
    `const Module = require('module');
const path = require('path');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request.startsWith('@tandem/')) request = path.join(__dirname, 'libs', request.slice(8), 'src', 'index.js');
  return resolve.call(this, request, ...rest);
};
`,
  );
  require(join(out, 'register-aliases.cjs'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildEr();
  const main = join(out, 'tools', 'er', 'src', 'main.js');
  if (!existsSync(main)) {
    process.stderr.write(`er: build produced no ${main}\n`);
    process.exit(1);
  }
  require(main);
}
