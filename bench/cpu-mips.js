// Guest MIPS of one run by process CPU time rather than wall time, which other
// jobs on a shared host disturb less: compare two builds run alternately.
// Usage: node bench/cpu-mips.js ROOT [IMAGE]   (ROOT: a checkout with dist/ built)
import { readFileSync } from 'node:fs';
const root = process.argv[2];
const image = process.argv[3] ?? 'fixtures/bench-short.mb';
const { Machine } = await import(`${root}/dist/machine/machine.js`);
const { loadMultiboot } = await import(`${root}/dist/machine/loaders.js`);
const { HostInputSource } = await import(`${root}/dist/replay/input-source.js`);
const RAM = 32 << 20;
const bytes = new Uint8Array(readFileSync(`${root}/${image}`));
const m = new Machine({ ramBytes: RAM, input: new HostInputSource() });
m.load(loadMultiboot(bytes, RAM, `${image} `));
const c0 = process.cpuUsage();
const stop = m.run(Number.MAX_SAFE_INTEGER);
const c = process.cpuUsage(c0);
const s = (c.user + c.system) / 1e6;
console.log(`${root} ${stop.icount} insns, cpu ${s.toFixed(2)} s = ${(stop.icount / s / 1e6).toFixed(1)} MIPS`);
