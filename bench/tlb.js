// The cost of the T-bit tracking (docs/tlb-coherence.md): guest MIPS on the
// page-table-heavy fixture with tracking on and off, runs interleaved,
// medians of several. Usage: node bench/tlb.js [--runs N] [--json]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Machine } from '../dist/machine/machine.js';
import { loadMultiboot } from '../dist/machine/loaders.js';
import { HostInputSource } from '../dist/replay/input-source.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, json: { type: 'boolean', default: false }, child: { type: 'string' } } });
const runs = Number(args.runs ?? 11);
const RAM = 32 * 1024 * 1024;
const image = 'fixtures/ptbench.mb';
const bytes = new Uint8Array(readFileSync(new URL(`../${image}`, import.meta.url)));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Each run in a fresh process: in one process, the runs' compiled blocks and garbage made the
// figures swing by a third from run to run. The child times with CPU time, not wall time.
if (args.child) {
  const tracking = args.child === 'on';
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), clock: 'virtual', tlbTracking: tracking });
  m.load(loadMultiboot(bytes, RAM, `${image} `));
  const c0 = process.cpuUsage();
  const stop = m.run();
  const s = process.cpuUsage(c0).user / 1e6;
  if (stop.reason !== 'exit' || stop.exitValue !== 1) throw new Error(`${image} did not end cleanly: ${JSON.stringify(stop)}`);
  process.stdout.write(JSON.stringify({ mips: stop.icount / s / 1e6, icount: stop.icount, invalidations: m.cpu.tlb.invalidations }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const child = (mode) => JSON.parse(execFileSync(process.execPath, [self, '--child', mode]).toString());
const on = [], off = [], ratios = [];
let inval = 0, icount = 0;
for (let k = 0; k < runs; k++) {
  // A pair of back-to-back runs sees the same machine load: their ratio is steadier than either figure.
  for (const mode of k % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
    const r = child(mode);
    (mode === 'on' ? on : off).push(r.mips);
    if (mode === 'on') {
      inval = r.invalidations;
      icount = r.icount;
    }
  }
  ratios.push(off[k] / on[k]);
}
const r = {
  image, icount, runs, mipsTrackingOn: median(on), mipsTrackingOff: median(off),
  cost: median(off) / median(on) - 1, pairedCost: median(ratios) - 1, invalidationsPerRun: inval,
};
if (args.json) console.log(JSON.stringify(r));
else {
  console.log(`vmrr bench tlb: ${image}, ${icount} instructions, ${runs} runs each in fresh processes, alternating, CPU time`);
  console.log(`  tracking on   ${r.mipsTrackingOn.toFixed(1)} MIPS (median of ${on.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  tracking off  ${r.mipsTrackingOff.toFixed(1)} MIPS (median of ${off.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  cost of tracking: ${(r.cost * 100).toFixed(1)}% from the medians, ${(r.pairedCost * 100).toFixed(1)}% median of paired runs (target <= 3%)`);
  console.log(`  ${inval} TLB entries invalidated by guest PTE writes per run`);
}
