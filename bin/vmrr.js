#!/usr/bin/env node
// vmrr's entry point: the compiled CLI in dist/ (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('vmrr: not built yet: run `npm ci` (or `npm run build`) in the vmrr checkout\n');
  process.exit(2);
}
await import(main.href);
