#!/usr/bin/env node
// `npm run build`: installs npm packages if missing or stale, then compiles apps, libs and tools into dist/.
import { build, ensureNodeModules } from './lib/workspace.mjs';

try {
  await ensureNodeModules();
  await build();
} catch (error) {
  process.stderr.write(`build: ${error.message}\n`);
  process.exit(1);
}
