// Where a run's time goes with the block compiler on: CPU time at icount
// milestones from the start (module load, warm-up while V8 tiers the
// compiled regions up) and then the warm rate on further slices. CPU time,
// not wall time, so other jobs on a shared host weigh less; still, quote
// medians of several calls. docs/jit-design.md has the figures.
// Usage: node bench/jit-warmup.js [--image fixtures/bench.mb] [--clock virtual|host] [--iters N] [--threshold N] [--json]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const c00 = process.cpuUsage();
const { Machine } = await import('../dist/machine/machine.js');
const { loadMultiboot } = await import('../dist/machine/loaders.js');
const { HostInputSource } = await import('../dist/replay/input-source.js');

const { values: args } = parseArgs({
  options: { image: { type: 'string' }, clock: { type: 'string' }, iters: { type: 'string' }, threshold: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const image = args.image ?? 'fixtures/bench.mb';
const RAM = 32 * 1024 * 1024;
const bytes = new Uint8Array(readFileSync(new URL(`../${image}`, import.meta.url)));
// bench.mb's iteration count is param0 at file offset 0x28 (fixtures/src/inc/common.inc).
const iters = Number(args.iters ?? 10000);
if (image.endsWith('bench.mb')) new DataView(bytes.buffer).setUint32(0x28, iters, true);
const cpuMs = () => { const c = process.cpuUsage(c00); return (c.user + c.system) / 1000; };

const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), clock: args.clock ?? 'virtual' });
if (args.threshold !== undefined) m.cpu.blockThreshold = Number(args.threshold);
m.load(loadMultiboot(bytes, RAM, `${image} `));
const out = { image, threshold: m.cpu.blockThreshold, loadedMs: Math.round(cpuMs()), milestones: [], warmMips: [] };
for (const n of [1e6, 5e6, 2e7, 5e7]) {
  m.run(n);
  out.milestones.push({ icount: m.cpu.icount, cpuMs: Math.round(cpuMs()), regions: m.cpu.jitStats.regions });
  if (m.cpu.icount < n) break;
}
for (let k = 0; k < 5 && m.cpu.icount >= 5e7; k++) {
  const i0 = m.cpu.icount, t0 = cpuMs();
  m.run(i0 + 1e8);
  if (m.cpu.icount === i0) break;
  out.warmMips.push(Math.round((m.cpu.icount - i0) / ((cpuMs() - t0) * 1000)));
}
if (args.json) console.log(JSON.stringify(out));
else {
  console.log(`${image}, threshold ${out.threshold}: modules loaded at ${out.loadedMs} ms CPU`);
  for (const x of out.milestones) console.log(`  icount ${x.icount.toLocaleString('en-US').padStart(13)}  ${String(x.cpuMs).padStart(6)} ms CPU  ${x.regions} regions`);
  const sorted = [...out.warmMips].sort((a, b) => a - b);
  console.log(`  warm, 10^8-instruction slices: ${out.warmMips.join(', ')} MIPS of CPU time (median ${sorted[Math.floor(sorted.length / 2)] ?? '-'})`);
}
