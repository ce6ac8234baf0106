// Real guests beside QEMU (issue 17's closing figures): Debian's 686 kernel
// and the initramfs scripts/fetch-real-guests.sh builds, booted to /init and
// its isa-debug-exit, each run in a fresh process, medians of --runs:
//   vmrr    `vmrr run --clock virtual` (the block compiler on, as by
//           default): wall time to /init's marker line on the console (the
//           console file is polled every 50 ms), to the end, and the
//           instruction count at the end (/init's own work is about 10^7 of it);
//   qemu    `qemu-system-i386 -M pc -m 128 -kernel -initrd -append` (TCG) on
//           the same files: wall time to the marker and to the end (skipped,
//           saying so, without qemu-system-i386);
//   record  `vmrr record` with the host clock (the default) and the virtual
//           one: wall time, log bytes, the guest's uptime at /init (its
//           "VMRR-INIT: uptime" line), bytes per second of guest time, and
//           the overhead against a `vmrr run` with the same clock.
// Skips, with a message, when the guests were not fetched.
// Usage: node bench/real-guests.js [--runs N] [--only vmrr,qemu,record] [--json]   (after `npm run build`)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, only: { type: 'string' }, json: { type: 'boolean', default: false } } });
const runs = Number(args.runs ?? 3);
const only = new Set((args.only ?? 'vmrr,qemu,record').split(','));
const root = fileURLToPath(new URL('..', import.meta.url));
const vmrr = join(root, 'bin', 'vmrr.js');
const guests = process.env.VMRR_REAL_GUESTS ?? join(root, '.real-guests');
const g = (n) => join(guests, n);
const MARKER = 'VMRR-INIT: hello from /init';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const f of ['vmlinuz', 'initrd.cpio']) {
  if (!existsSync(g(f))) {
    console.log(`bench/real-guests: ${g(f)} missing: run scripts/fetch-real-guests.sh first; skipping`);
    process.exit(0);
  }
}
const work = mkdtempSync(join(tmpdir(), 'vmrr-real-bench-'));
const kernel = [g('vmlinuz'), '--initrd', g('initrd.cpio'), '--append', 'console=ttyS0', '--ram', '128M'];

/** Run a command; `consoleFile`: poll it for the marker. Resolves with the wall times (s) and stdout. */
function timed(cmd, argv, consoleFile) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let markerAt = null;
    let out = '';
    const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.setEncoding('latin1');
    c.stdout.on('data', (d) => {
      out += d;
      if (markerAt === null && !consoleFile && out.includes(MARKER)) markerAt = performance.now();
    });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    const poll = consoleFile ? setInterval(() => {
      if (markerAt === null && existsSync(consoleFile) && readFileSync(consoleFile, 'latin1').includes(MARKER)) markerAt = performance.now();
    }, 50) : null;
    c.on('error', reject);
    c.on('exit', (code) => {
      if (poll) clearInterval(poll);
      const end = performance.now();
      if (markerAt === null && consoleFile && existsSync(consoleFile) && readFileSync(consoleFile, 'latin1').includes(MARKER)) markerAt = end;
      if (markerAt === null) return reject(new Error(`${cmd} ${argv.join(' ')}: no marker line (exit ${code})\n${err}`));
      resolve({ toInit: (markerAt - start) / 1000, toEnd: (end - start) / 1000, code, out });
    });
  });
}

const uptimeOf = (text) => {
  const m = /VMRR-INIT: uptime ([\d.]+)/.exec(text);
  return m ? Number(m[1]) : null;
};

async function vmrrRun(clock, i) {
  const con = join(work, `run-${clock}-${i}.txt`);
  const r = await timed(process.execPath, [vmrr, 'run', '--json', '--clock', clock, '--max-insns', '3e10', '--serial', con, ...kernel], con);
  const s = JSON.parse(r.out);
  return { ...r, icount: s.icount, uptime: uptimeOf(readFileSync(con, 'latin1')) };
}

const report = { guests, kernel: existsSync(g('kernel-package.txt')) ? readFileSync(g('kernel-package.txt'), 'utf8').trim() : null, runs };
const line = (s) => {
  if (!args.json) console.log(s);
};

if (only.has('vmrr')) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(await vmrrRun('virtual', i));
  report.vmrr = { toInitSeconds: median(xs.map((x) => x.toInit)), toEndSeconds: median(xs.map((x) => x.toEnd)), icount: median(xs.map((x) => x.icount)), uptimeAtInit: xs[0].uptime };
  line(`vmrr run --clock virtual: /init after ${report.vmrr.toInitSeconds.toFixed(1)} s, end after ${report.vmrr.toEndSeconds.toFixed(1)} s (median of ${runs}), ` +
    `${(report.vmrr.icount / 1e9).toFixed(3)}x10^9 instructions, ${(report.vmrr.icount / 1e6 / report.vmrr.toEndSeconds).toFixed(1)} MIPS; guest uptime at /init ${report.vmrr.uptimeAtInit} s`);
}

if (only.has('qemu')) {
  const have = spawnSync('qemu-system-i386', ['--version']).status === 0;
  if (!have) {
    line('qemu-system-i386 not installed: the QEMU comparison is skipped');
  } else {
    const xs = [];
    for (let i = 0; i < runs; i++) {
      xs.push(await timed('qemu-system-i386', ['-M', 'pc', '-m', '128', '-kernel', g('vmlinuz'), '-initrd', g('initrd.cpio'), '-append', 'console=ttyS0',
        '-display', 'none', '-nic', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4']));
    }
    report.qemu = { toInitSeconds: median(xs.map((x) => x.toInit)), toEndSeconds: median(xs.map((x) => x.toEnd)), uptimeAtInit: uptimeOf(xs[0].out), exitStatus: xs[0].code };
    line(`qemu-system-i386 (TCG): /init after ${report.qemu.toInitSeconds.toFixed(1)} s, end after ${report.qemu.toEndSeconds.toFixed(1)} s (median of ${runs}), exit status ${report.qemu.exitStatus}; guest uptime at /init ${report.qemu.uptimeAtInit} s`);
    if (report.vmrr) line(`vmrr/QEMU wall time to /init: ${(report.vmrr.toInitSeconds / report.qemu.toInitSeconds).toFixed(1)}x`);
  }
}

if (only.has('record')) {
  report.record = {};
  for (const clock of ['host', 'virtual']) {
    const base = clock === 'virtual' && report.vmrr ? { toEnd: report.vmrr.toEndSeconds } : await vmrrRun(clock, 'base');
    const con = join(work, `rec-${clock}.txt`);
    const log = join(work, `rec-${clock}.vmrr`);
    const r = await timed(process.execPath, [vmrr, 'record', '--json', '--clock', clock, '--max-insns', '3e10', '--serial', con, '-o', log, ...kernel], con);
    const s = JSON.parse(r.out);
    const uptime = uptimeOf(readFileSync(con, 'latin1'));
    const bytes = statSync(log).size;
    report.record[clock] = { wallSeconds: r.toEnd, runWallSeconds: base.toEnd, overhead: r.toEnd / base.toEnd, logBytes: bytes, uptimeAtInit: uptime, bytesPerGuestSecond: uptime ? bytes / uptime : null, icount: s.icount, nd: s.nd, events: s.events, syncPoints: s.syncPoints, checkpoints: s.checkpoints };
    const x = report.record[clock];
    line(`record --clock ${clock}: ${x.wallSeconds.toFixed(1)} s (run: ${x.runWallSeconds.toFixed(1)} s, ${x.overhead.toFixed(2)}x), log ${(bytes / 1e6).toFixed(1)} MB, ` +
      `guest uptime at /init ${uptime} s: ${x.bytesPerGuestSecond ? (x.bytesPerGuestSecond / 1e6).toFixed(2) : '?'} MB per guest second; ${(bytes / (s.icount / 1e6) / 1e3).toFixed(1)} KB per 10^6 instructions`);
  }
}

if (args.json) console.log(JSON.stringify(report));
rmSync(work, { recursive: true, force: true });
