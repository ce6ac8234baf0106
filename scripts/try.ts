// Developer helper: run a fixture in-process and print serial output and the stop info.
import { readFileSync } from 'node:fs';
import { Machine } from '../src/machine/machine.js';
import { loadMultiboot, loadBios } from '../src/machine/loaders.js';
import { HostInputSource } from '../src/replay/input-source.js';

const file = process.argv[2];
const max = Number(process.argv[3] ?? 1e9);
const bytes = new Uint8Array(readFileSync(file));
const ram = 32 << 20;
let out = '';
const m = new Machine({ ramBytes: ram, input: new HostInputSource(), serial: (b) => { out += String.fromCharCode(b); } });
m.load(file.endsWith('.rom') ? loadBios(bytes) : loadMultiboot(bytes, ram, ''));
const t0 = performance.now();
const c0 = process.cpuUsage();
const stop = m.run(max);
const dt = (performance.now() - t0) / 1000;
const cpuS = process.cpuUsage(c0).user / 1e6;
process.stdout.write(out);
console.error(JSON.stringify(stop), `${dt.toFixed(3)}s ${(stop.icount / dt / 1e6).toFixed(1)} MIPS (cpu time ${cpuS.toFixed(3)}s: ${(stop.icount / cpuS / 1e6).toFixed(1)} MIPS)`);
