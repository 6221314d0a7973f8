#!/usr/bin/env node
// Builds the tools with tsc (see er.mjs) and runs the synthetic people generator.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildEr } from './er.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
buildEr();
createRequire(import.meta.url)(join(root, 'dist', 'er', 'tools', 'er', 'src', 'gen-people.js'));
