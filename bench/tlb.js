// The cost of the T-bit tracking (docs/tlb-coherence.md): guest MIPS on the
// page-table-heavy fixture with tracking on and off, runs interleaved,
// medians of several. Usage: node bench/tlb.js [--runs N] [--json]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Machine } from '../dist/machine/machine.js';
import { loadMultiboot } from '../dist/machine/loaders.js';
import { HostInputSource } from '../dist/replay/input-source.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, json: { type: 'boolean', default: false } } });
const runs = Number(args.runs ?? 5);
const RAM = 32 * 1024 * 1024;
const image = 'fixtures/ptbench.mb';
const bytes = new Uint8Array(readFileSync(new URL(`../${image}`, import.meta.url)));

function once(tracking) {
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), clock: 'virtual', tlbTracking: tracking });
  m.load(loadMultiboot(bytes, RAM, `${image} `));
  const t0 = performance.now();
  const stop = m.run();
  const s = (performance.now() - t0) / 1000;
  if (stop.reason !== 'exit' || stop.exitValue !== 1) throw new Error(`${image} did not end cleanly: ${JSON.stringify(stop)}`);
  return { mips: stop.icount / s / 1e6, invalidations: m.cpu.tlb.invalidations, icount: stop.icount };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const on = [], off = [];
let inval = 0, icount = 0;
// Alternate which goes first, so warm-up and the previous run's garbage fall on both sides alike.
once(true);
once(false);
for (let k = 0; k < runs; k++) {
  const order = k % 2 === 0 ? [true, false] : [false, true];
  for (const tracking of order) {
    const a = once(tracking);
    (tracking ? on : off).push(a.mips);
    if (tracking) {
      inval = a.invalidations;
      icount = a.icount;
    }
  }
}
const r = { image, icount, runs, mipsTrackingOn: median(on), mipsTrackingOff: median(off), cost: median(off) / median(on) - 1, invalidationsPerRun: inval };
if (args.json) console.log(JSON.stringify(r));
else {
  console.log(`vmrr bench tlb: ${image}, ${icount} instructions, ${runs} runs each, interleaved`);
  console.log(`  tracking on   ${r.mipsTrackingOn.toFixed(1)} MIPS (median)`);
  console.log(`  tracking off  ${r.mipsTrackingOff.toFixed(1)} MIPS (median)`);
  console.log(`  cost of tracking: ${(r.cost * 100).toFixed(1)}% (target <= 3%); ${inval} TLB entries invalidated by PTE writes per run`);
}
