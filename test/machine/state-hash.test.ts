// The state hash: it changes when any register, flag, segment cache,
// system register, RAM byte, device register or the guest clock changes;
// the incremental hash equals the from-scratch one at every point; and
// hashing (which clears the CPU's dirty bits) never changes what the guest does.

import { describe, it, expect } from 'vitest';
import type { Machine } from '../../src/machine/machine.js';
import { StateHasher, stateHashOf, stateHashBytesOf, shortHash } from '../../src/machine/state-hash.js';
import { takeSnapshot, restoreSnapshot, CheckpointTracker } from '../../src/machine/snapshot.js';
import { boot, RAM } from './helpers.js';

/** A small machine for the many-mutation test: a from-scratch hash is then quick. */
const SMALL = 4 << 20;

type Mutation = [string, (m: Machine) => void];

const flip = (m: Machine, bit: number): void => {
  m.cpu.setEflags(m.cpu.getEflags() ^ bit);
};
const ramByte = (addr: number): Mutation => [`RAM byte 0x${addr.toString(16)}`, (m) => {
  m.mem.ram[addr] ^= 0x01;
  m.cpu.notePhysWrite(addr, 1); // how an injector tells the machine RAM changed
}];

const MUTATIONS: Mutation[] = [
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i): Mutation => [`regs[${i}]`, (m) => { m.cpu.regs[i] ^= 0x100; }]),
  ['eip', (m) => { m.cpu.eip += 1; }],
  ...[['CF', 0x1], ['PF', 0x4], ['AF', 0x10], ['ZF', 0x40], ['SF', 0x80], ['TF', 0x100], ['IF', 0x200], ['DF', 0x400],
    ['OF', 0x800], ['IOPL', 0x1000], ['NT', 0x4000], ['RF', 0x10000], ['AC', 0x40000], ['ID', 0x200000]]
    .map(([n, b]): Mutation => [`EFLAGS.${n}`, (m) => flip(m, b as number)]),
  ...[0, 1, 2, 3, 4, 5].flatMap((s): Mutation[] => [
    [`sreg[${s}]`, (m) => { m.cpu.sreg[s] ^= 8; }],
    [`segBase[${s}]`, (m) => { m.cpu.segBase[s] += 0x1000; }],
    [`segLimit[${s}]`, (m) => { m.cpu.segLimit[s] -= 1; }],
    [`segAttr[${s}]`, (m) => { m.cpu.segAttr[s] ^= 0x2; }],
  ]),
  ['cpl', (m) => { m.cpu.cpl ^= 3; }],
  ['cr0.WP', (m) => { m.cpu.cr0 ^= 0x10000; }],
  ['cr2', (m) => { m.cpu.cr2 ^= 0x1000; }],
  ['cr3', (m) => { m.cpu.cr3 ^= 0x1000; }],
  ['cr4', (m) => { m.cpu.cr4 ^= 0x10; }],
  ...[0, 1, 2, 3, 6, 7].map((i): Mutation => [`dr[${i}]`, (m) => { m.cpu.dr[i] ^= 4; }]),
  ['gdtr base', (m) => { m.cpu.gdtBase += 8; }],
  ['gdtr limit', (m) => { m.cpu.gdtLimit ^= 8; }],
  ['idtr base', (m) => { m.cpu.idtBase += 8; }],
  ['idtr limit', (m) => { m.cpu.idtLimit ^= 8; }],
  ['ldtr selector', (m) => { m.cpu.ldtSel ^= 8; }],
  ['ldtr base', (m) => { m.cpu.ldtBase += 8; }],
  ['tr base', (m) => { m.cpu.trBase += 8; }],
  ['tr limit', (m) => { m.cpu.trLimit ^= 1; }],
  ['tr type', (m) => { m.cpu.trType ^= 8; }],
  ['TSC offset', (m) => { m.cpu.tscOffset += 1; }],
  ['icount', (m) => { m.cpu.icount += 1; }],
  ['halted', (m) => { m.cpu.halted = !m.cpu.halted; }],
  ['interrupt shadow', (m) => { m.cpu.shadowUntil = m.cpu.icount; }],
  ramByte(0),
  ramByte(0x101000),
  ramByte(SMALL >>> 1),
  ramByte(SMALL - 1),
  ['PIC master IMR', (m) => m.bus.out8(0x21, m.bus.in8(0x21) ^ 0x80)],
  ['PIC slave IMR', (m) => m.bus.out8(0xa1, m.bus.in8(0xa1) ^ 0x80)],
  ['PIT channel 2 mode', (m) => m.bus.out8(0x43, 0xb4)],
  ['port 0x61 speaker bit', (m) => m.bus.out8(0x61, m.bus.in8(0x61) ^ 2)],
  ['CMOS byte 0x40', (m) => { m.bus.out8(0x70, 0x40); m.bus.out8(0x71, m.bus.in8(0x71) ^ 1); }],
  ['UART scratch register', (m) => m.bus.out8(0x3ff, m.bus.in8(0x3ff) ^ 0xff)],
  ['UART line control', (m) => m.bus.out8(0x3fb, m.bus.in8(0x3fb) ^ 0x04)],
  ['guest clock (time skipped in HLT)', (m) => m.clock.skipTo(m.clock.now() + 1000)],
  ['isa-debug-exit status', (m) => { m.exitStatus = 3; }],
];

describe('state hash', { timeout: 120_000 }, () => {
  it('changes with every piece of state, the incremental hash agrees, and a restore brings it back', () => {
    const b = boot('timer.mb', SMALL);
    b.m.run(3_000_000);
    const h = new StateHasher(b.m);
    const h0 = h.hash();
    expect(h0).toBe(stateHashOf(b.m));
    const snap = takeSnapshot(b.m);
    const seen = new Map<string, string>();
    for (const [what, mutate] of MUTATIONS) {
      mutate(b.m);
      const h1 = h.hash();
      expect(h1, what).not.toBe(h0);
      expect(h1, what).toBe(stateHashOf(b.m));
      expect(seen.get(h1), `${what} hashes like ${seen.get(h1)}`).toBeUndefined();
      seen.set(h1, what);
      restoreSnapshot(b.m, snap);
      expect(h.hash(), `${what} restored`).toBe(h0);
    }
  });

  it('sees flags still held lazily: a pending ZF that the result decides', () => {
    const b = boot('alu.mb');
    b.m.run(2_000);
    const c = b.m.cpu;
    const eflags = c.getEflags();
    const h0 = stateHashOf(b.m);
    // The same flags, now pending on a result of zero or one.
    c.lazy = 0x40;
    c.lop = 4;
    c.lbits = 32;
    c.lres = eflags & 0x40 ? 0 : 1;
    expect(stateHashOf(b.m)).toBe(h0);
    c.lres ^= 1;
    expect(stateHashOf(b.m)).not.toBe(h0);
    expect(c.getEflags()).toBe(eflags ^ 0x40);
  });

  it('is 8 bytes, 16 hex digits, with an 8-digit short form', () => {
    const b = boot('rtc.mb');
    const bytes = stateHashBytesOf(b.m);
    expect(bytes.length).toBe(8);
    const hex = stateHashOf(b.m);
    expect(hex).toMatch(/^[0-9a-f]{16}$/);
    expect(shortHash(hex)).toBe(hex.slice(0, 8));
  });

  for (const [name, step] of [['paging.mb', 1_231], ['smc.mb', 97], ['string.mb', 1_009], ['bench-short.mb', 400_009]] as const) {
    it(`${name}: incremental equals from scratch at every point, with a checkpoint tracker sharing the dirty bits`, () => {
      const b = boot(name);
      const h = new StateHasher(b.m);
      const tr = new CheckpointTracker(b.m);
      let points = 0;
      for (let k = 1; points < 25; k++) {
        const stop = b.m.run(k * step);
        if (k % 3 === 0) tr.take();
        expect(h.hash()).toBe(stateHashOf(b.m));
        points++;
        if (stop.reason !== 'limit') break;
      }
      // After the first hash only dirtied pages are redone.
      b.m.run(b.m.cpu.icount + 10);
      h.hash();
      expect(h.rehashed).toBeLessThan(RAM / 4096 / 100);
    });
  }

  for (const [name, step] of [['paging.mb', 997], ['smc.mb', 97], ['timer.mb', 99_991], ['string.mb', 997]] as const) {
    it(`${name}: hashing every ${step} instructions does not change what the guest does`, () => {
      const plain = boot(name);
      const stopPlain = plain.m.run(60_000_000);
      const hashed = boot(name);
      const h = new StateHasher(hashed.m);
      let stop;
      for (let k = 1; ; k++) {
        stop = hashed.m.run(k * step);
        h.hash();
        if (stop.reason !== 'limit') break;
      }
      expect(stop).toEqual(stopPlain);
      expect(hashed.out()).toBe(plain.out());
      expect(h.hash()).toBe(stateHashOf(plain.m));
    });
  }

  it('two machines of one fixture hash alike; a different image hashes differently', () => {
    const a = boot('string.mb'), b = boot('string.mb'), c = boot('alu.mb');
    a.m.run(5_000);
    b.m.run(5_000);
    c.m.run(5_000);
    expect(stateHashOf(a.m)).toBe(stateHashOf(b.m));
    expect(stateHashOf(c.m)).not.toBe(stateHashOf(a.m));
  });
});
