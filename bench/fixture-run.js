// What bench/run.js and bench/jit.js share: the fixture options
// (--quick, --runs, --image, --json) and one timed in-process run of a
// self-checking fixture to its isa-debug-exit.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Machine } from '../dist/machine/machine.js';
import { loadMultiboot } from '../dist/machine/loaders.js';
import { HostInputSource } from '../dist/replay/input-source.js';

const RAM = 32 * 1024 * 1024;

/** The options: image (bench.mb, or bench-short.mb with --quick), runs (5, or 3 with --quick), json, and the image's bytes. */
export function fixtureArgs() {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      image: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const image = args.image ?? (args.quick ? 'fixtures/bench-short.mb' : 'fixtures/bench.mb');
  const runs = Number(args.runs ?? (args.quick ? 3 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: ${args.runs} is not a positive integer`);
  const bytes = new Uint8Array(readFileSync(new URL(`../${image}`, import.meta.url)));
  return { image, runs, json: args.json, bytes };
}

/** Run the fixture once in this process (`machineOpts` added to the Machine's); its icount, wall seconds and machine. */
export function runFixture(image, bytes, machineOpts = {}) {
  const machine = new Machine({ ramBytes: RAM, input: new HostInputSource(), ...machineOpts });
  machine.load(loadMultiboot(bytes, RAM, `${image} `));
  const start = performance.now();
  const stop = machine.run(Number.MAX_SAFE_INTEGER);
  const seconds = (performance.now() - start) / 1000;
  // The workload checks its own results and exits with 0 (status 1) when they are right.
  if (stop.reason !== 'exit' || stop.exitValue !== 1) throw new Error(`${image} did not end cleanly: ${JSON.stringify(stop)}`);
  return { icount: stop.icount, seconds, machine };
}
