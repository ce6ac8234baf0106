// Differential test: run the generated test kernel (cases-<seed>.mb) in
// vmrr's Machine and compare, at the end of every block, the registers,
// EFLAGS (minus the flags the SDM leaves undefined), segment selectors and
// the scratch memory with what QEMU produced (reference-<seed>.json).
// Regenerate with scripts/difftest (see docs/difftest.md); QEMU is not
// needed here.
//
// DIFFTEST_REPORT=file writes the full failure report to a file.

import { describe, it, beforeAll } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const RAM = 32 << 20;
const PROLOGUE = 66; // bytes from a block's start to its first tested instruction
const REG = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const DEFAULT_SREGS = [0x10, 0x08, 0x10, 0x10, 0x18, 0x20];
const FLAGS: [number, string][] = [
  [0x1, 'CF'], [0x4, 'PF'], [0x10, 'AF'], [0x40, 'ZF'], [0x80, 'SF'], [0x100, 'TF'], [0x200, 'IF'],
  [0x400, 'DF'], [0x800, 'OF'], [0x3000, 'IOPL'], [0x4000, 'NT'], [0x10000, 'RF'], [0x40000, 'AC'], [0x200000, 'ID'],
];
const MAX_STEPS = 20000;

interface RefResult {
  regs: Record<string, number>;
  eflags: number;
  sregs?: number[];
  mem: [number, string][];
  error?: string;
}
interface RefBlock {
  id: number;
  family: string;
  forms: string[];
  src: string[];
  start: number;
  end: number;
  poolOff: number;
  init: number[];
  fmask: number;
  rmask?: number[];
  mmask?: [number, number][];
  ref: RefResult;
}
interface Reference {
  seed: number;
  reference: string;
  kernel: string;
  org: number;
  scratch: { addr: number; size: number };
  pool: { addr: number; size: number };
  blocks: RefBlock[];
}

interface BlockOutcome {
  block: RefBlock;
  problems: string[];
}

// Minimal view of the Machine API this test uses (docs/internals.md).
interface CpuView {
  regs: Int32Array;
  eip: number;
  sreg: Uint16Array;
  halted: boolean;
  shutdown: boolean;
  getEflags(): number;
  setEflags(v: number): void;
}
interface MachineView {
  cpu: CpuView;
  mem: { ram: Uint8Array };
  load(plan: unknown): void;
  step(): void;
  readPhys(addr: number, len: number): Uint8Array;
}
interface Vmrr {
  newMachine(): MachineView;
  loadMultiboot(bytes: Uint8Array, ramBytes: number, cmdline: string): unknown;
}

async function loadVmrr(): Promise<Vmrr | null> {
  try {
    const mm = await import('../../src/machine/machine.js');
    const ml = await import('../../src/machine/loaders.js');
    const input = { rdtsc: () => 0, rdrand: () => 0, clockNs: () => 0, peekClockNs: () => 0, wallClockMs: () => 0 };
    return {
      newMachine: () => new mm.Machine({ ramBytes: RAM, input }) as unknown as MachineView,
      loadMultiboot: ml.loadMultiboot,
    };
  } catch {
    return null;
  }
}

const vmrr = await loadVmrr();

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);
const flagNames = (x: number): string =>
  FLAGS.filter(([m]) => x & m).map(([, n]) => n).join(' ') || hex(x);

class Runner {
  m!: MachineView;
  readonly prologueProblems = new Map<string, number>();

  constructor(
    private readonly v: Vmrr,
    private readonly ref: Reference,
    private readonly image: Uint8Array,
    private readonly pool: Uint8Array,
  ) {
    this.boot();
  }

  private eip(): number {
    return this.m.cpu.eip >>> 0;
  }

  /** Fresh machine, run the kernel's setup code up to the first block. */
  boot(): void {
    this.m = this.v.newMachine();
    this.m.load(this.v.loadMultiboot(this.image, RAM, ''));
    const first = this.ref.blocks[0].start;
    for (let k = 0; k < 1000 && this.eip() !== first; k++) this.m.step();
    if (this.eip() !== first) throw new Error(`kernel setup did not reach the first block (eip ${hex(this.eip())})`);
  }

  private initialScratch(b: RefBlock): Uint8Array {
    return this.pool.subarray(b.poolOff, b.poolOff + this.ref.scratch.size);
  }

  private expectedScratch(b: RefBlock): Uint8Array {
    const mem = Uint8Array.from(this.initialScratch(b));
    for (const [off, h] of b.ref.mem) mem.set(Buffer.from(h, 'hex'), off);
    return mem;
  }

  private prologueProblem(what: string): void {
    this.prologueProblems.set(what, (this.prologueProblems.get(what) ?? 0) + 1);
  }

  /** Run block b from its start; return what differs from the reference. */
  run(b: RefBlock): string[] {
    const problems: string[] = [];
    const { cpu } = this.m;
    try {
      if (this.eip() !== b.start) cpu.eip = b.start;
      // prologue: prep (segments, scratch copy), popfd, register loads
      const testAddr = b.start + PROLOGUE;
      let k = 0;
      for (; k < 2000 && this.eip() !== testAddr && !cpu.shutdown && !cpu.halted; k++) this.m.step();
      if (this.eip() !== testAddr) {
        this.prologueProblem(`prologue did not reach the tested code (stopped at ${hex(this.eip())})`);
        this.boot();
        return ['prologue failed, block not run'];
      }
      this.checkInitialState(b);
      // the tested instructions (the first EIPs are kept for the report)
      const trace = [testAddr];
      for (k = 0; k < MAX_STEPS && this.eip() !== b.end && !cpu.shutdown && !cpu.halted; k++) {
        this.m.step();
        if (trace.length < 12) trace.push(this.eip());
      }
      if (this.eip() !== b.end) {
        const why = cpu.shutdown ? 'triple fault' : cpu.halted ? 'halted' : `${MAX_STEPS} steps`;
        const rel = (a: number) => (a >= testAddr && a <= b.end ? `+${a - testAddr}` : hex(a));
        problems.push(`did not reach the block end (+${b.end - testAddr}): ${why}, now at eip ${hex(this.eip())}`);
        problems.push(`EIP after each step (relative to the first tested instruction): ${trace.map(rel).join(' -> ')}`);
        this.boot();
        return problems;
      }
      this.compare(b, problems);
    } catch (e) {
      problems.push(`exception in vmrr: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      this.boot();
    }
    return problems;
  }

  /**
   * The prologue must have produced exactly the block's initial state. If a
   * basic instruction there is broken, note it once and force the state, so
   * the tested instructions still start from the intended values.
   */
  private checkInitialState(b: RefBlock): void {
    const { cpu } = this.m;
    for (let r = 0; r < 8; r++) {
      if (cpu.regs[r] >>> 0 !== b.init[r] >>> 0) {
        this.prologueProblem(`register ${REG[r]} not loaded by mov r32,imm32`);
        cpu.regs[r] = b.init[r] | 0;
      }
    }
    const fl = cpu.getEflags() >>> 0;
    if (fl !== b.init[8] >>> 0) {
      this.prologueProblem(`EFLAGS after push imm32/popfd: differing ${flagNames((fl ^ b.init[8]) >>> 0)}`);
      cpu.setEflags(b.init[8]);
    }
    for (let s = 0; s < 6; s++) {
      if (cpu.sreg[s] !== DEFAULT_SREGS[s]) this.prologueProblem(`${SREG[s]} not reset to ${hex(DEFAULT_SREGS[s])}`);
    }
    const want = this.initialScratch(b);
    const got = this.m.readPhys(this.ref.scratch.addr, want.length);
    if (!Buffer.from(got).equals(Buffer.from(want))) {
      this.prologueProblem('scratch area not copied by prep');
      this.m.mem.ram.set(want, this.ref.scratch.addr);
    }
  }

  private compare(b: RefBlock, out: string[]): void {
    const { cpu } = this.m;
    for (let r = 0; r < 8; r++) {
      const want = (b.ref.regs[REG[r]] ?? b.init[r]) >>> 0;
      const got = cpu.regs[r] >>> 0;
      const mask = b.rmask ? b.rmask[r] : 0xffffffff;
      if (((want ^ got) & mask) !== 0) out.push(`${REG[r]}: got ${hex(got)}, want ${hex(want)}`);
    }
    const fl = cpu.getEflags() >>> 0;
    const diff = ((fl ^ b.ref.eflags) & b.fmask) >>> 0;
    if (diff) {
      out.push(`eflags: got ${hex(fl)}, want ${hex(b.ref.eflags)} (differ: ${flagNames(diff)}; ignored: ${flagNames(~b.fmask & 0x8d5)})`);
    }
    const sregs = b.ref.sregs ?? DEFAULT_SREGS;
    for (let s = 0; s < 6; s++) {
      if (cpu.sreg[s] !== sregs[s]) out.push(`${SREG[s]}: got ${hex(cpu.sreg[s])}, want ${hex(sregs[s])}`);
    }
    const want = this.expectedScratch(b);
    const got = this.m.readPhys(this.ref.scratch.addr, want.length);
    const mmask = new Map(b.mmask ?? []);
    for (let i = 0; i < want.length; i++) {
      const m = mmask.get(i) ?? 0xff;
      if (((got[i] ^ want[i]) & m) === 0) continue;
      let j = i;
      while (j < want.length && ((got[j] ^ want[j]) & (mmask.get(j) ?? 0xff)) !== 0) j++;
      const h = (a: Uint8Array) => Buffer.from(a.subarray(i, j)).toString('hex');
      out.push(`mem scratch+${hex(i)} (${hex(this.ref.scratch.addr + i)}): got ${h(got)}, want ${h(want)}`);
      i = j;
    }
  }
}

function describeBlock(o: BlockOutcome, image: Uint8Array, org: number): string {
  const b = o.block;
  const bytes = Buffer.from(image.subarray(b.start + PROLOGUE - org, b.end - org)).toString('hex').replace(/(..)/g, '$1 ').trim();
  const init = b.init.slice(0, 8).map((v, r) => `${REG[r]}=${hex(v)}`).join(' ') + ` eflags=${hex(b.init[8])}`;
  return [
    `block ${b.id} [${b.family}] ${b.forms.join(' ; ')}`,
    ...b.src.map((s) => `    | ${s}`),
    `    bytes: ${bytes}`,
    `    init: ${init}`,
    ...o.problems.map((p) => `    ${p}`),
  ].join('\n');
}

/** Failures grouped by instruction form, with a few examples each. */
function report(fails: BlockOutcome[], image: Uint8Array, org: number, examples = 3): string {
  const groups = new Map<string, BlockOutcome[]>();
  for (const f of fails) {
    const key = f.block.family === 'mixed' ? 'mixed: ' + f.block.forms.join(' ; ') : f.block.forms.join(' ; ');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(f);
  }
  const sorted = [...groups].sort((a, b) => b[1].length - a[1].length);
  const lines = [`${fails.length} block(s) differ from the reference, ${groups.size} form group(s):`];
  for (const [key, list] of sorted) lines.push(`  ${String(list.length).padStart(4)} x ${key}`);
  for (const [key, list] of sorted) {
    lines.push('', `== ${key} (${list.length})`);
    for (const f of list.slice(0, examples)) lines.push(describeBlock(f, image, org));
  }
  return lines.join('\n');
}

const files = readdirSync(HERE).filter((f) => /^reference-\d+\.json$/.test(f)).sort();

for (const file of files) {
  const ref = JSON.parse(readFileSync(join(HERE, file), 'utf8')) as Reference;
  const image = new Uint8Array(readFileSync(join(HERE, ref.kernel)));
  const pool = image.subarray(ref.pool.addr - ref.org, ref.pool.addr - ref.org + ref.pool.size);
  const families = [...new Set(ref.blocks.map((b) => b.family))].sort();

  describe.skipIf(!vmrr)(`difftest ${file} (vs ${ref.reference})`, () => {
    const outcomes: BlockOutcome[] = [];
    let runner: Runner;

    beforeAll(() => {
      runner = new Runner(vmrr!, ref, image, pool);
      for (const b of ref.blocks) {
        if (b.ref.error) continue; // the reference could not capture it
        outcomes.push({ block: b, problems: runner.run(b) });
      }
      if (process.env.DIFFTEST_REPORT) {
        const fails = outcomes.filter((o) => o.problems.length);
        const pro = [...runner.prologueProblems].map(([p, n]) => `  ${n} x ${p}`);
        writeFileSync(
          process.env.DIFFTEST_REPORT,
          (pro.length ? `prologue problems (state forced):\n${pro.join('\n')}\n\n` : '') +
            report(fails, image, ref.org, 1000) + '\n',
        );
      }
    }, 600_000);

    it('block prologues (basic moves, popfd, segment loads, copy loop) work', () => {
      if (runner.prologueProblems.size) {
        throw new Error([...runner.prologueProblems].map(([p, n]) => `${n} x ${p}`).join('\n'));
      }
    });

    for (const fam of families) {
      const n = ref.blocks.filter((b) => b.family === fam).length;
      it(`${fam} (${n} blocks)`, () => {
        const fails = outcomes.filter((o) => o.block.family === fam && o.problems.length);
        if (fails.length) throw new Error(report(fails, image, ref.org));
      });
    }
  });
}
