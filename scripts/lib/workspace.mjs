// Preparation shared by `npm start` and `npm test`: npm packages, build, database. Node built-ins
// only, because it runs before node_modules exists on a fresh clone.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/tandem';
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/tandem_test';

export function step(message) {
  process.stdout.write(`» ${message}\n`);
}

/** Runs a command, streaming its output; rejects with a one-line message on failure. */
export function run(command, args, { env = process.env, quiet = false, cwd = REPO_ROOT } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new Error(`${command} could not run: ${error.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(Object.assign(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`), { output }));
    });
  });
}

/**
 * `npm ci` when node_modules is missing or was installed from another package-lock.json. The
 * lock's hash is remembered inside node_modules, so an unchanged tree costs nothing.
 */
export async function ensureNodeModules() {
  const lock = path.join(REPO_ROOT, 'package-lock.json');
  const marker = path.join(REPO_ROOT, 'node_modules', '.tandem-lock-sha256');
  const hash = createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === hash) return false;
  step('installing npm packages (npm ci)');
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  fs.writeFileSync(marker, hash);
  return true;
}

/** Compiles the workspace (all apps and libs are one TypeScript program) into dist/. */
export async function build({ quiet = false } = {}) {
  if (!quiet) step('building apps and libs');
  await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'nest'), ['build', 'api'], { quiet }).catch((error) => {
    throw new Error(`build failed:\n${error.output ?? error.message}`);
  });
}

/** Creates the database if missing and applies the migrations. */
export async function migrate(databaseUrl) {
  const output = await run(process.execPath, [path.join(REPO_ROOT, 'dist/libs/persistence/src/cli/migrate.js'), 'up'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    quiet: true,
  }).catch((error) => {
    throw new Error((error.output ?? error.message).trim());
  });
  for (const line of output.trim().split('\n')) step(line);
}
