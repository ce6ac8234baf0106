// End to end against the real gdb: `vmrr run fixtures/gdb-demo.elf --gdb 0`
// (the stub picks a port and prints it), then gdb -batch breaks at a symbol,
// reads registers and memory, steps, watches a variable written by the timer
// interrupt handler, and interrupts a running continue with Ctrl-C.
import { describe, it, expect, beforeAll } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { haveGdb, runGdb, startVmrr } from './real-gdb.js';

const RUN = ['run', 'fixtures/gdb-demo.elf', '--clock', 'virtual', '--gdb', '0'];

describe.skipIf(!haveGdb)('vmrr run --gdb with the real gdb', () => {
  beforeAll(() => ensureBuilt());

  it('breaks at a symbol, reads registers and memory, steps; the guest runs to its end after detach', async () => {
    const v = await startVmrr(RUN);
    const g = await runGdb(v.port, ['break check', 'continue', 'info registers eip', 'x/4xw &ticks', 'stepi', 'p/x $eip', 'monitor icount', 'detach']);
    expect(g.out).toMatch(/Breakpoint 1, 0x00101151 in check \(\)/);
    expect(g.out).toMatch(/eip\s+0x101151\s+0x101151 <check>/);
    // ticks, round, lcg, checksum: round 0, the LCG value of the first round.
    expect(g.out).toMatch(/<ticks>:\s+0x00000000\s+0x00000000\s+0x1e7888f9\s+0x00000000/);
    expect(g.out).toMatch(/\$1 = 0x101156/); // mov eax, [lcg] is 5 bytes
    const r = await v.done;
    expect(r.stdout).toContain('victim=DEADBEEF');
    expect(r.status).toBe(0);
  }, 60_000);

  it('catches the interrupt handler writing a watched variable, and a read watchpoint', async () => {
    const v = await startVmrr(RUN);
    const g = await runGdb(v.port, ['watch *(int*)&victim', 'continue', 'continue', 'p/x $eip', 'delete', 'rwatch *(int*)&lcg', 'continue', 'p/x $eip', 'kill']);
    // First main's own store (0x600d600d), then the handler's scribble on the third tick.
    expect(g.out).toMatch(/Old value = 0\s+New value = 1611489293\s+0x001010bf in main/);
    expect(g.out).toMatch(/Old value = 1611489293\s+New value = -559038737/);
    expect(g.out).toMatch(/in irq0\W+ok/); // the instruction after the write, in irq0
    expect(g.out).toMatch(/Hardware read watchpoint 2: \*\(int\*\)&lcg\s+Value = 511215865\s+0x00101156 in check/);
    const r = await v.done;
    expect(r.stderr).toMatch(/stopped by SIGINT/);
  }, 60_000);

  it('a hardware breakpoint (Z1) stops at the timer handler, the first tick a million instructions in', async () => {
    const v = await startVmrr(RUN);
    const g = await runGdb(v.port, ['hbreak irq0', 'continue', 'x/2i $eip', 'echo icount=', 'monitor icount', 'kill']);
    expect(g.out).toMatch(/Hardware assisted breakpoint 1 at 0x10115d/);
    expect(g.out).toMatch(/Breakpoint 1, 0x0010115d in irq0 \(\)/);
    expect(g.out).toMatch(/=> 0x10115d <irq0>:\s+push\s+%eax/);
    // --clock virtual at 1000 MHz: the PIT's first 1 kHz tick is due 10^6 instructions in.
    const ic = Number(/icount=(\d+)/.exec(g.out)![1]);
    expect(ic).toBeGreaterThan(1_000_000);
    expect(ic).toBeLessThan(1_010_000);
    await v.done;
  }, 60_000);

  it('Ctrl-C stops a running continue (T02: SIGINT)', async () => {
    // bench.mb runs for seconds: long enough to be interrupted.
    const v = await startVmrr(['run', 'fixtures/bench.mb', '--gdb', '0']);
    let sent = false;
    const g = await runGdb(v.port, ['continue', 'p/x $eip', 'monitor icount', 'kill'], (out, child) => {
      // gdb's stdout is a pipe (buffered): interrupt a fixed time after it starts, well inside bench.mb's seconds.
      if (!sent) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    }, 'bitops.elf');
    expect(g.out).toMatch(/Program received signal SIGINT, Interrupt\./);
    expect(g.out).toMatch(/\n\d{6,}\n/); // monitor icount: the guest had run
    await v.done;
  }, 60_000);
});
