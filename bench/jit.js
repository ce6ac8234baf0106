// Guest MIPS with the block compiler, without it (interpreter only), and
// under qemu-system-i386 -accel tcg, on the same fixture in the same run,
// interleaved (JIT, interpreter, QEMU, JIT, ...) so that load on a shared
// host falls on all three alike; medians of N runs.
// Usage: node bench/jit.js [--quick] [--runs N] [--image FILE] [--json]
//   --quick  fixtures/bench-short.mb, 3 runs: a smoke test, not a figure
// Set VMRR_QEMU=/path/to/qemu-system-i386 for another QEMU; without one the QEMU
// column says it was not run.
//
// QEMU reports no instruction count: its MIPS is vmrr's icount for the guest
// (the same program, checked by its exit status) over QEMU's wall time less
// its start-up, measured in the same round as the wall time of a guest that
// exits at once (fixtures/errata-tsc-msr.mb, 2,393 instructions; under QEMU it
// reports a QEMU deviation, which does not matter here). Both include
// QEMU's firmware, so the difference is the guest's own run.
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { fixtureArgs, runFixture } from './fixture-run.js';

const { image, runs, json, bytes } = fixtureArgs();
const NULL_GUEST = 'fixtures/errata-tsc-msr.mb';
const log = (line) => process.stderr.write(line + '\n');

/** One vmrr run in this process: threshold 0 is the interpreter only. */
function vmrr(threshold) {
  const { icount, seconds, machine } = runFixture(image, bytes, { jitThreshold: threshold });
  return { icount, seconds, compiledShare: machine.cpu.jitStats.compiledInsns / icount };
}

const qemuBin = process.env.VMRR_QEMU ?? 'qemu-system-i386';
const qemuFound = spawnSync(qemuBin, ['--version'], { encoding: 'utf8' }).status === 0;

/** Wall seconds of one QEMU TCG process running `file` to its isa-debug-exit (status 1: the guest wrote 0, its success; `anyExit`: any value). */
function qemu(file, anyExit = false) {
  const start = performance.now();
  const r = spawnSync(qemuBin, [
    '-accel', 'tcg', '-kernel', file, '-serial', 'null', '-display', 'none', '-monitor', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot', '-m', '32',
  ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  const seconds = (performance.now() - start) / 1000;
  if (anyExit ? r.status === null || r.status % 2 !== 1 : r.status !== 1) throw new Error(`qemu on ${file} ended with status ${r.status} ${r.signal ?? ''}: ${String(r.stderr).trim().split('\n').pop()}`);
  return seconds;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

log(`vmrr bench/jit: ${image}, ${runs} round${runs > 1 ? 's' : ''} of JIT, interpreter${qemuFound ? ', QEMU TCG' : ''}, node ${process.version}`);
const jit = [], interp = [], tcg = [];
let icount = 0, share = 0;
try {
  for (let i = 0; i < runs; i++) {
    const a = vmrr(16);
    const b = vmrr(0);
    if (a.icount !== b.icount) throw new Error(`the engines retired different instruction counts: ${a.icount} and ${b.icount}`);
    icount = a.icount;
    share = a.compiledShare;
    jit.push(icount / a.seconds / 1e6);
    interp.push(icount / b.seconds / 1e6);
    let q = '';
    if (qemuFound) {
      const t = qemu(image), t0 = qemu(NULL_GUEST, true);
      tcg.push(icount / Math.max(t - t0, 1e-3) / 1e6);
      q = `, QEMU ${t.toFixed(2)} s - ${t0.toFixed(2)} s start-up = ${tcg[i].toFixed(1)} MIPS`;
    }
    log(`  round ${i + 1}: JIT ${a.seconds.toFixed(2)} s = ${jit[i].toFixed(1)} MIPS, interpreter ${b.seconds.toFixed(2)} s = ${interp[i].toFixed(1)} MIPS${q}`);
  }
} catch (e) {
  log(`bench/jit: ${e.message}`);
  process.exit(1);
}
const r = {
  image, runs, icount, compiledShare: share,
  jitMips: median(jit), interpreterMips: median(interp), qemuTcgMips: qemuFound ? median(tcg) : null,
};
const ratio = (x, y) => (y ? (x / y).toFixed(2) : 'n/a');
if (json) process.stdout.write(JSON.stringify(r) + '\n');
else {
  console.log(`${image}: ${icount.toLocaleString('en-US')} instructions, ${(100 * share).toFixed(1)}% of them in compiled code`);
  console.log(`  median MIPS: JIT ${r.jitMips.toFixed(1)}, interpreter ${r.interpreterMips.toFixed(1)}, ` +
    (qemuFound ? `QEMU TCG ${r.qemuTcgMips.toFixed(1)}` : `QEMU TCG not run (${qemuBin} not found)`));
  console.log(`  JIT / interpreter ${ratio(r.jitMips, r.interpreterMips)}x` + (qemuFound ? `, JIT / QEMU TCG ${ratio(r.jitMips, r.qemuTcgMips)}x (goal 0.9x)` : ''));
}
