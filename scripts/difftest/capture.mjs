#!/usr/bin/env node
// Run the generated kernel under qemu-system-i386 (TCG) and record, at the
// end of every test block, the registers, EFLAGS, segment selectors and the
// scratch memory, through QEMU's gdbstub.
//
//   node scripts/difftest/capture.mjs --seed 1 [--qemu qemu-system-i386]
//
// Reads scripts/difftest/build/cases-<seed>.meta.json and
// test/difftest/cases-<seed>.mb (run generate.mjs first); writes
// test/difftest/reference-<seed>.json.

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GdbRemote, reg32 } from './lib/gdb-remote.mjs';
import { DEFAULT_SREGS } from './compare.mjs';

const REG = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const BUILD = join(HERE, 'build');
const OUT = join(ROOT, 'test', 'difftest');

function parseArgs(argv) {
  const a = { seed: 1, qemu: 'qemu-system-i386', accel: 'tcg', out: null };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--seed') a.seed = Number(argv[++i]);
    else if (argv[i] === '--qemu') a.qemu = argv[++i];
    else if (argv[i] === '--accel') a.accel = argv[++i];
    else if (argv[i] === '--out') a.out = argv[++i];
    else if (argv[i] === '--keep-going') a.keepGoing = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return a;
}

/** Changed byte runs of `after` relative to `before`: [[offset, hex], ...]. */
export function memDiff(before, after) {
  const runs = [];
  let i = 0;
  while (i < after.length) {
    if (after[i] === before[i]) { i++; continue; }
    let j = i;
    // merge runs separated by fewer than 4 equal bytes
    while (j < after.length && (after[j] !== before[j] || (j + 3 < after.length && [1, 2, 3].some((k) => after[j + k] !== before[j + k])))) j++;
    runs.push([i, Buffer.from(after.subarray(i, j)).toString('hex')]);
    i = j;
  }
  return runs;
}

/** One QEMU process stopped at the first block's start. */
async function startQemu(qemuBin, accel, kernelPath, meta) {
  const args = [
    '-nodefaults', '-machine', 'pc', '-accel', accel, '-cpu', accel === 'kvm' ? 'host' : 'qemu32', '-m', '32',
    '-display', 'none', '-monitor', 'none', '-serial', 'none', '-parallel', 'none',
    '-no-reboot', '-kernel', kernelPath, '-gdb', 'stdio', '-S',
  ];
  const proc = spawn(qemuBin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const q = { proc, stderr: '' };
  proc.stderr.on('data', (d) => { q.stderr += d; });
  q.exited = new Promise((res) => proc.on('exit', (code, sig) => res({ code, sig })));
  proc.stdin.on('error', () => {}); // EPIPE when QEMU exits; reported via the closed stream
  q.gdb = new GdbRemote(proc.stdout, proc.stdin);
  // TCG: software breakpoints (no guest memory change). KVM: one hardware
  // breakpoint, so the guest code is never patched.
  q.Z = accel === 'kvm' ? '1' : '0';
  await q.gdb.cmd('?');
  await q.gdb.startNoAck(); // QEMU 7.2 declines; acks are then kept
  const first = meta.blocks[0].start.toString(16);
  if ((await q.gdb.cmd(`Z${q.Z},${first},1`)) !== 'OK') throw new Error('breakpoint insert failed');
  const stop = await q.gdb.cmd('c', 30000);
  if (!/^T05/.test(stop)) throw new Error(`boot: unexpected stop reply ${stop}`);
  if ((await q.gdb.cmd(`z${q.Z},${first},1`)) !== 'OK') throw new Error('breakpoint remove failed');
  return q;
}

async function stopQemu(q) {
  q.proc.kill();
  return q.exited;
}

/**
 * Run blocks from index i on, appending to results. Returns when all ran;
 * throws (with .index set) when block .index could not be captured.
 */
async function runBlocks(q, meta, pool, i, results, t0) {
  const { gdb, Z } = q;
  // Nothing may be sent while the guest runs: QEMU's stub stops the VM on
  // any received byte (even an ack). So only commands issued while the
  // guest is stopped are pipelined; 'c' always goes alone.
  const bp = (b) => `${b.end.toString(16)},1`;
  const le32 = (v) => Buffer.from(Uint32Array.of(v).buffer).toString('hex');
  if (i > 0) {
    // resume at block i: rewrite EIP with 'G' (QEMU only takes 'P' after
    // the client has read the target description)
    const g = await gdb.readRegisters();
    const r = await gdb.cmd(`G${g.slice(0, 64)}${le32(meta.blocks[i].start)}${g.slice(72)}`);
    if (r !== 'OK') throw new Error(`G: ${r}`);
  }
  if ((await gdb.cmd(`Z${Z},${bp(meta.blocks[i])}`)) !== 'OK') throw new Error('breakpoint insert failed');
  for (; i < meta.blocks.length; i++) {
    const b = meta.blocks[i];
    const fail = (msg) => Object.assign(new Error(`block ${b.id}: ${msg}`), { index: i });
    let stop;
    try {
      stop = await gdb.cmd('c', 20000);
    } catch (e) {
      throw fail(e.message);
    }
    if (!/^T05/.test(stop)) throw fail(`unexpected stop reply ${stop}`);
    const next = meta.blocks[i + 1];
    const cmds = ['g', `m${meta.scratch.addr.toString(16)},${meta.scratch.size.toString(16)}`, `z${Z},${bp(b)}`];
    if (next) cmds.push(`Z${Z},${bp(next)}`);
    const [g, m, ...oks] = await gdb.pipeline(cmds);
    if (oks.some((r) => r !== 'OK')) throw fail(`breakpoint update failed: ${oks}`);
    const eip = reg32(g, 8);
    if (eip !== b.end) throw fail(`stopped at ${eip.toString(16)}, expected ${b.end.toString(16)}`);
    const regs = [];
    for (let r = 0; r < 8; r++) regs.push(reg32(g, r));
    const eflags = reg32(g, 9);
    // gdb order cs ss ds es fs gs -> encoding order es cs ss ds fs gs
    const [cs, ss, ds, es, fs, gs] = [10, 11, 12, 13, 14, 15].map((k) => reg32(g, k) & 0xffff);
    const mem = Buffer.from(m, 'hex');
    const before = pool.subarray(b.poolOff, b.poolOff + meta.scratch.size);
    // registers: only those that changed; segment registers: only if not the defaults
    const changed = {};
    regs.forEach((v, r) => { if (v !== b.init[r]) changed[REG[r]] = v; });
    const sregs = [es, cs, ss, ds, fs, gs];
    results[i] = { regs: changed, eflags };
    if (sregs.some((v, k) => v !== DEFAULT_SREGS[k])) results[i].sregs = sregs;
    results[i].mem = memDiff(before, mem);
    if (i % 1000 === 999) process.stderr.write(`  ${i + 1}/${meta.blocks.length} blocks, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return i;
}

/**
 * Capture every block. keepGoing: a block that cannot be captured (crash,
 * emulation failure) is recorded as {error} and QEMU is restarted at the
 * next block; otherwise the first failure is fatal.
 */
export async function capture(seed, { qemuBin = 'qemu-system-i386', accel = 'tcg', keepGoing = false } = {}) {
  const meta = JSON.parse(readFileSync(join(BUILD, `cases-${seed}.meta.json`), 'utf8'));
  const kernelPath = join(OUT, meta.kernel);
  const image = readFileSync(kernelPath);
  const pool = image.subarray(meta.pool.addr - meta.org, meta.pool.addr - meta.org + meta.pool.size);
  const t0 = Date.now();
  const results = [];
  let i = 0;
  let sessions = 0;
  while (i < meta.blocks.length) {
    const q = await startQemu(qemuBin, accel, kernelPath, meta);
    sessions++;
    try {
      i = await runBlocks(q, meta, pool, i, results, t0);
      // the tests must not have written into the kernel image (cur_end aside)
      const now = await q.gdb.readMemory(meta.org, image.length);
      const orig = Buffer.from(image);
      for (const buf of [now, orig]) buf.fill(0, meta.curEnd - meta.org, meta.curEnd - meta.org + 4);
      if (!now.equals(orig)) {
        let k = 0;
        while (now[k] === orig[k]) k++;
        throw new Error(`kernel image modified at ${(meta.org + k).toString(16)}`);
      }
      await stopQemu(q);
    } catch (e) {
      const st = await stopQemu(q);
      const msg = `${e.message} (qemu exit ${JSON.stringify(st)}${q.stderr ? ', stderr: ' + q.stderr.trim().split('\n')[0] : ''})`;
      if (!keepGoing || e.index === undefined) throw new Error(msg);
      process.stderr.write(`  ${msg}\n`);
      results[e.index] = { error: msg };
      i = e.index + 1;
    }
  }
  const secs = (Date.now() - t0) / 1000;

  const ref = {
    format: 'vmrr-difftest-1',
    seed,
    reference: accel === 'kvm' ? `QEMU KVM (${qemuBin} -cpu host)` : `QEMU TCG (${qemuBin} -cpu qemu32)`,
    kernel: meta.kernel,
    org: meta.org,
    entry: meta.entry,
    curEnd: meta.curEnd,
    scratch: meta.scratch,
    pool: meta.pool,
    blocks: meta.blocks.map((b, k) => ({ ...b, ref: results[k] })),
  };
  return { ref, secs, sessions };
}

/** JSON with one block per line (small diffs, still readable). */
export function formatReference(ref) {
  const { blocks, ...head } = ref;
  const lines = blocks.map((b) => '    ' + JSON.stringify(b));
  return JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "blocks": [\n' + lines.join(',\n') + '\n  ]\n}\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = parseArgs(process.argv);
  const { ref, secs, sessions } = await capture(a.seed, { qemuBin: a.qemu, accel: a.accel, keepGoing: a.keepGoing });
  const path = a.out ?? join(OUT, `reference-${a.seed}.json`);
  writeFileSync(path, formatReference(ref));
  const qv = (await import('node:child_process')).execFileSync(a.qemu, ['--version']).toString().split('\n')[0];
  const failed = ref.blocks.filter((b) => b.ref.error).length;
  console.log(`captured ${ref.blocks.length - failed} of ${ref.blocks.length} blocks in ${secs.toFixed(1)} s (${sessions} QEMU run${sessions > 1 ? 's' : ''}) with ${qv}; wrote ${path}`);
}
