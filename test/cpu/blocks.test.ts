// Compiled blocks (src/cpu/blocks.ts) must be invisible: the same
// instructions retire with the same results, exact-icount stops still land
// exactly, and a fault or self-modifying write inside a block is accounted
// for as the interpreter does it.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { Machine } from '../../src/machine/machine.js';
import { loadMultiboot } from '../../src/machine/loaders.js';
import { HostInputSource } from '../../src/replay/input-source.js';
import { setEngine } from './gen/engine.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const RAM = 32 << 20;

function boot(name: string, blocks: boolean): { m: Machine; out: () => string } {
  let out = '';
  const m = new Machine({ ramBytes: RAM, input: new HostInputSource(), serial: (b) => { out += String.fromCharCode(b); } });
  setEngine(m.cpu, blocks ? 'compiled' : 'interp');
  m.load(loadMultiboot(new Uint8Array(readFileSync(join(FIXTURES, name))), RAM, ''));
  return { m, out: () => out };
}

/** Registers, flags, EIP, icount and (unless `cheap`) a hash of RAM. */
function state(m: Machine, cheap = false): string {
  const c = m.cpu;
  const ram = cheap ? '' : createHash('sha256').update(m.mem.ram).digest('hex');
  return JSON.stringify({ regs: [...c.regs], eip: c.eip, fl: c.getEflags(), icount: c.icount, sreg: [...c.sreg], ram });
}

describe('compiled blocks', () => {
  for (const name of ['bench-short.mb', 'smc.mb', 'paging.mb', 'string.mb', 'alu.mb', 'pmode.mb', 'v86.mb', 'shift.mb', 'muldiv.mb', 'stack.mb', 'bcd.mb', 'ptbench.mb']) {
    it(`${name}: same output, icount and final state with and without blocks`, () => {
      const a = boot(name, true), b = boot(name, false);
      const sa = a.m.run(60_000_000), sb = b.m.run(60_000_000);
      expect(sa).toEqual(sb);
      expect(a.out()).toBe(b.out());
      expect(state(a.m)).toBe(state(b.m));
    });
  }

  it('stops at exact instruction counts in the middle of hot loops', () => {
    const a = boot('bench-short.mb', true), b = boot('bench-short.mb', false);
    // Uneven stop points, so that many fall inside blocks and inside REP strings.
    let target = 0;
    for (let k = 1; k <= 40; k++) {
      target += 1 + ((k * 7919) % 90_001);
      a.m.run(target);
      b.m.run(target);
      expect(a.m.cpu.icount).toBe(target);
      expect(state(a.m)).toBe(state(b.m));
    }
  });

  it('single steps through blocks exactly as the interpreter does', () => {
    const a = boot('smc.mb', true), b = boot('smc.mb', false);
    a.m.run(3000);
    b.m.run(3000);
    for (let k = 0; k < 500; k++) {
      a.m.step();
      b.m.step();
      expect(state(a.m, true)).toBe(state(b.m, true));
    }
    expect(state(a.m)).toBe(state(b.m));
  });
});
