#!/usr/bin/env node
// `npm run db:prepare`: creates the tandem and tandem_test databases if missing and migrates both.
import { build, DEFAULT_DATABASE_URL, DEFAULT_TEST_DATABASE_URL, ensureNodeModules, migrate } from './lib/workspace.mjs';

try {
  await ensureNodeModules();
  await build();
  await migrate(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  await migrate(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL);
} catch (error) {
  process.stderr.write(`db: ${error.message}\n`);
  process.exit(1);
}
