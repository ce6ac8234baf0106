// End to end against the real gdb on a replay: `vmrr replay LOG --gdb 0`.
// Breakpoints forward and reverse-continue back to the previous hit,
// reverse-stepi 1,000 times with the registers checked against the replay's
// own state at that icount (replayed to it in this process, from power-on),
// a watchpoint on the variable the IRQ0 handler scribbles over caught by
// reverse-continue from the log's end, and the replaylog stops at both ends.
import { describe, it, expect, beforeAll } from 'vitest';
import { ensureBuilt, tempFiles, vmrr } from '../cli/helpers.js';
import { haveGdb, runGdb, startVmrr } from './real-gdb.js';
import { openReplay } from '../../src/cli/replay-machine.js';
import { replayLoop } from '../../src/replay/session.js';
import { registerValue } from '../../src/gdb/cpu-view.js';
import { REGISTERS } from '../../src/gdb/registers.js';

let log = '';

/** The registers gdb's `info registers` printed last, by name. */
function lastRegisters(out: string): Map<string, number> {
  const regs = new Map<string, number>();
  for (const m of out.matchAll(/^(\w+)\s+0x([0-9a-f]+)\s/gm)) regs.set(m[1], parseInt(m[2], 16));
  return regs;
}

/** The `monitor icount` answers, in order. */
const icounts = (out: string): number[] => [...out.matchAll(/^icount=(\d+)$/gm)].map((m) => Number(m[1]));

describe.skipIf(!haveGdb)('vmrr replay --gdb with the real gdb: reverse execution', () => {
  beforeAll(() => {
    ensureBuilt();
    const t = tempFiles({});
    log = t.path('demo.vmrr');
    const r = vmrr(['record', 'fixtures/gdb-demo.elf', '--clock', 'virtual', '-o', log, '--checkpoint-every', '2000000', '--sync-every', '1000000']);
    expect(r.status, r.stderr).toBe(0);
  });

  // `monitor icount` prints a bare number; echo a label before it so the output can be parsed.
  const icount = ['echo icount=', 'monitor icount'];

  it('reverse-continue goes back to the previous breakpoint hit; the log end is a replaylog stop', async () => {
    const v = await startVmrr(['replay', log, '--gdb', '0']);
    const g = await runGdb(v.port, [
      'break check', 'continue', ...icount, 'continue', ...icount, 'reverse-continue', ...icount,
      'delete', 'continue', ...icount, 'detach',
    ]);
    const [first, second, back, end] = icounts(g.out);
    expect(second).toBeGreaterThan(first);
    expect(back).toBe(first);
    expect(g.out).toMatch(/No more reverse-execution history\.\n0x[0-9a-f]+ in lib_finish/);
    expect(end).toBeGreaterThan(4_000_000);
    const r = await v.done;
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/gdb session ended \(detach\)/);
  }, 120_000);

  it('reverse-stepi 1,000 times lands where replay --to puts the machine, register for register', async () => {
    const v = await startVmrr(['replay', log, '--gdb', '0']);
    const g = await runGdb(v.port, [
      'break check', 'continue', 'continue', 'delete', ...icount,
      'set $i = 0', 'while $i < 1000\nreverse-stepi\nset $i = $i + 1\nend', ...icount, 'info registers', 'detach',
    ]);
    const [from, to] = icounts(g.out);
    expect(to).toBe(from - 1000);
    const regs = lastRegisters(g.out);
    // The same icount by plain forward replay, from power-on.
    const o = await openReplay(log, { output: () => {} });
    try {
      const res = await replayLoop(o.machine, o.replayer, { verify: false, hash: () => new Uint8Array(8), to });
      expect(res.verdict).toBe('reached');
      for (let n = 0; n < REGISTERS.length; n++) {
        const want = registerValue(o.machine.cpu, n);
        if (want === undefined) continue;
        expect([REGISTERS[n].name, regs.get(REGISTERS[n].name)]).toEqual([REGISTERS[n].name, want]);
      }
    } finally {
      o.replayer.close();
    }
    // And the CLI's replay --to agrees on EIP.
    const cli = JSON.parse(vmrr(['replay', log, '--to', String(to), '--json']).stdout) as { eip: number; icount: number };
    expect(cli).toMatchObject({ icount: to, eip: regs.get('eip') });
    await v.done;
  }, 180_000);

  it('a watchpoint and reverse-continue from the end find the IRQ0 handler writing the variable; then back to the start', async () => {
    const v = await startVmrr(['replay', log, '--gdb', '0']);
    const g = await runGdb(v.port, [
      'continue', 'watch *(int*)&victim', 'reverse-continue', 'p/x $eip', 'x/i $eip',
      'reverse-continue', 'delete', 'reverse-continue', ...icount, 'monitor when', 'detach',
    ]);
    // At the end victim is 0xdeadbeef; going back, it changes at irq0's store (before it: main's 0x600d600d).
    expect(g.out).toMatch(/Old value = -559038737\s+New value = 1611489293\s+0x[0-9a-f]+ in irq0/);
    expect(g.out).toMatch(/mov\s+DWORD PTR ds:0x[0-9a-f]+,0xdeadbeef|movl\s+\$0xdeadbeef/);
    // The next one back: main's own store (value back to 0).
    expect(g.out).toMatch(/Old value = 1611489293\s+New value = 0\s+0x[0-9a-f]+ in main/);
    expect(g.out).toMatch(/No more reverse-execution history\.\n0x00100030 in _start/);
    expect(icounts(g.out)).toEqual([0]);
    await v.done;
  }, 120_000);
});
