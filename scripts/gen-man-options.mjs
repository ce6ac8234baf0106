#!/usr/bin/env node
// Rewrites the generated OPTIONS blocks of man/*.1 from the options table in
// src/cli/options.ts (through dist/, so run `npm run build` first).
// Usage: node scripts/gen-man-options.mjs [--check]
//   --check  change nothing; exit 1 and name the pages that are out of date.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const { updateManPage } = await import('../dist/cli/man-options.js');
const check = process.argv.includes('--check');
const dir = new URL('../man/', import.meta.url);
let stale = 0;
for (const name of readdirSync(dir).filter((n) => n.endsWith('.1'))) {
  const file = new URL(name, dir);
  const page = readFileSync(file, 'utf8');
  const updated = updateManPage(page);
  if (updated === page) continue;
  if (check) {
    console.error(`man/${name} is out of date: run node scripts/gen-man-options.mjs`);
    stale++;
  } else {
    writeFileSync(file, updated);
    console.error(`updated man/${name}`);
  }
}
process.exit(stale ? 1 : 0);
