#!/usr/bin/env node
// `npm run cli -- ...`: builds when needed, then runs the compiled operators' CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build, ensureNodeModules, REPO_ROOT } from './lib/workspace.mjs';

const entry = path.join(REPO_ROOT, 'dist', 'tools', 'cli', 'src', 'main.js');
try {
  await ensureNodeModules();
  if (!fs.existsSync(entry) || process.env.TANDEM_CLI_BUILD !== '0') await build({ quiet: true });
} catch (error) {
  process.stderr.write(`cli: ${error.message}\n`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
