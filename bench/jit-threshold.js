// The block compiler's threshold on a real guest: CPU time for the first N
// instructions of the Debian Linux boot (scripts/fetch-real-guests.sh) under
// --clock virtual, one fresh process per threshold, rounds interleaved.
// Usage: node bench/jit-threshold.js [--insns N] [--thresholds 16,64,256] [--rounds R]
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { insns: { type: 'string' }, thresholds: { type: 'string' }, rounds: { type: 'string' }, child: { type: 'string' } } });
const dir = process.env.VMRR_REAL_GUESTS ?? fileURLToPath(new URL('../.real-guests', import.meta.url));
const insns = Number(args.insns ?? 5e8);
if (args.child !== undefined) {
  const { Machine } = await import('../dist/machine/machine.js');
  const { loadLinux } = await import('../dist/machine/linux-loader.js');
  const { HostInputSource } = await import('../dist/replay/input-source.js');
  const RAM = 128 << 20;
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), clock: 'virtual', serial: () => {} });
  m.cpu.blockThreshold = Number(args.child);
  m.load(loadLinux(new Uint8Array(readFileSync(`${dir}/vmlinuz`)), RAM, 'console=ttyS0', new Uint8Array(readFileSync(`${dir}/initrd.cpio`))));
  const c0 = process.cpuUsage();
  m.run(insns);
  const c = process.cpuUsage(c0);
  const s = m.cpu.jitStats;
  console.log(JSON.stringify({ cpuMs: Math.round((c.user + c.system) / 1000), icount: m.cpu.icount, regions: s.regions, invalidations: s.invalidations, compiledShare: s.compiledInsns / m.cpu.icount }));
  process.exit(0);
}
if (!existsSync(`${dir}/vmlinuz`)) {
  console.log(`jit-threshold: no ${dir}/vmlinuz (run scripts/fetch-real-guests.sh); skipping`);
  process.exit(0);
}
const thresholds = (args.thresholds ?? '16,64,256').split(',').map(Number);
const rounds = Number(args.rounds ?? 3);
const res = new Map(thresholds.map((t) => [t, []]));
for (let r = 0; r < rounds; r++) {
  for (const t of thresholds) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(t), '--insns', String(insns)], { encoding: 'utf8' });
    res.get(t).push(JSON.parse(out));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`Linux boot, first ${insns.toExponential(1)} instructions, --clock virtual, CPU ms (median of ${rounds})`);
for (const [t, xs] of res) {
  const x = xs[0];
  console.log(`  threshold ${String(t).padStart(4)}: ${String(median(xs.map((y) => y.cpuMs))).padStart(7)} ms  (${xs.map((y) => y.cpuMs).join(', ')})  regions ${x.regions}, invalidations ${x.invalidations}, compiled ${(100 * x.compiledShare).toFixed(1)}%`);
}
