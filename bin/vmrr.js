#!/usr/bin/env node
// vmrr's entry point: the compiled CLI in dist/ (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('vmrr: not built yet: run `npm ci` (or `npm run build`) in the vmrr checkout\n');
  process.exit(2);
}
// ft-check --threads 2 runs its secondary in a worker thread, which takes a few hundred
// milliseconds to load: start it now, so it loads while this thread loads the CLI.
const args = process.argv.slice(2);
const threads = args.findIndex((a) => a === '--threads' || a.startsWith('--threads='));
if (args.includes('ft-check') && threads >= 0 && (args[threads] === '--threads=2' || args[threads + 1] === '2')) {
  const { prespawnSecondaryWorker } = await import(new URL('../dist/ft/remote-secondary.js', import.meta.url).href);
  prespawnSecondaryWorker();
}
await import(main.href);
