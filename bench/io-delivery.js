// Completion interrupts (issue 6): wall time and guest time of the disk guest
// (fixtures/ata-irq.mb: 128 sectors read waiting in HLT for each IRQ 14, then
// 8 sectors by polling) with --io-delivery safepoint against nominal, with
// both clocks, real host I/O (FileDisk on a copy of fixtures/ata-disk.img),
// the default disk model (20 us per command + 2 us per sector) and a slow one
// (2 ms per command, a seek). Guest time is the machine's clock: for the
// whole run, and for each phase between the guest's "X start" and "X pit=..."
// lines on port 0x402 (the machine's clock read when each line ends).
// Medians of N runs each, interleaved. Only the run is timed, not loading.
// Usage: node bench/io-delivery.js [--runs N] [--json]   (after `npx tsc -p tsconfig.json`)
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Machine } from '../dist/machine/machine.js';
import { loadMultiboot } from '../dist/machine/loaders.js';
import { HostInputSource } from '../dist/replay/input-source.js';
import { FileDisk } from '../dist/machine/file-disk.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const runs = Number(args.runs ?? 5);
const RAM = 32 * 1024 * 1024;
const fixtures = new URL('../fixtures/', import.meta.url);
const image = new Uint8Array(readFileSync(new URL('ata-irq.mb', fixtures)));
const expected = readFileSync(new URL('expected/ata-irq.txt', fixtures), 'latin1');
const dir = mkdtempSync(join(tmpdir(), 'vmrr-io-bench-'));
const diskPath = join(dir, 'disk.img');
copyFileSync(new URL('ata-disk.img', fixtures), diskPath);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const models = { default: { commandNs: 20_000, sectorNs: 2_000 }, seek2ms: { commandNs: 2_000_000, sectorNs: 2_000 } };
const configs = [];
for (const clock of ['virtual', 'host']) {
  for (const model of Object.keys(models)) {
    for (const ioDelivery of ['safepoint', 'nominal']) configs.push({ clock, model, ioDelivery });
  }
}

async function once({ clock, model, ioDelivery }) {
  const disk = await FileDisk.open(diskPath);
  let out = '';
  let line = '';
  const start = {}, end = {};
  const m = new Machine({
    ramBytes: RAM, input: new HostInputSource(1000), clock, mhz: 1000, disk, diskTiming: models[model], ioDelivery,
    serial: (b) => (out += String.fromCharCode(b)),
    debugcon: [{ port: 0xe9, sink: () => {} }, { port: 0x402, sink: (b) => {
      if (b !== 10) return void (line += String.fromCharCode(b));
      (line.endsWith(' start') ? start : end)[line[0]] = m.clock.peek();
      line = '';
    } }],
  });
  m.load(loadMultiboot(image, RAM, 'ata-irq.mb'));
  const t0 = performance.now();
  const stop = await m.runAsync({ maxInsns: 2e9 });
  const wallMs = performance.now() - t0;
  await disk.close();
  if (out !== expected || stop.exitValue !== 1) throw new Error(`ata-irq failed (${clock}, ${model}, ${ioDelivery}):\n${out}`);
  const phase = (p) => end[p] - start[p];
  return { wallMs, guestMs: m.clock.peek() / 1e6, hltMs: (phase('A') + phase('B')) / 1e6, pollUs: phase('C') / 1e3, icount: stop.icount };
}

const samples = configs.map(() => []);
for (let r = 0; r < runs; r++) {
  for (let i = 0; i < configs.length; i++) samples[i].push(await once(configs[i]));
}
rmSync(dir, { recursive: true, force: true });

const rows = configs.map((c, i) => {
  const s = samples[i];
  const med = (k) => median(s.map((x) => x[k]));
  return { ...c, wallMs: med('wallMs'), guestMs: med('guestMs'), hltMs: med('hltMs'), pollUs: med('pollUs'), icount: med('icount') };
});

if (args.json) {
  console.log(JSON.stringify({ runs, rows }, null, 2));
} else {
  console.log(`ata-irq.mb, FileDisk, median of ${runs} runs each`);
  const head = ['clock', 'disk model', 'delivery', 'wall ms', 'guest ms', 'HLT phases ms', 'poll phase us', 'icount'];
  const body = rows.map((r) => [r.clock, r.model, r.ioDelivery, r.wallMs.toFixed(0), r.guestMs.toFixed(2), r.hltMs.toFixed(2), r.pollUs.toFixed(0), String(r.icount)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(head));
  for (const b of body) console.log(line(b));
}
