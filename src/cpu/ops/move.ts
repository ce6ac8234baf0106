// Data movement: MOV (all forms, segment registers, moffs), MOVZX/MOVSX,
// LEA, XCHG, XLAT, CBW/CWDE/CWD/CDQ, LAHF/SAHF, SETcc, CMOVcc, BSWAP, XADD,
// CMPXCHG, CMPXCHG8B, LDS/LES/LSS/LFS/LGS, NOPs.

import { type Cpu, CS, SS } from '../cpu.js';
import type { Inst } from '../inst.js';
import { HandlerTable } from '../handler-table.js';
import { CF, PF, AF, ZF, SF, testCC, materialize, getCF } from '../flags.js';
import { ud } from '../faults.js';
import { rd8, rd16, rd32, wr8, wr16, wr32 } from '../mem-access.js';
import { loadSeg } from '../segments.js';
import {
  R8, readE8, readE16, readE32, writeE8, writeE16, writeE32, rmwLin, lrd8, lrd16, lrd32, lwr8, lwr16, lwr32,
} from './operands.js';
import { alu } from './alu.js';

/** The move handlers (assembled with the other tables by dispatch.ts). */
export const MOVE_HANDLERS = new HandlerTable('move');
const { def } = MOVE_HANDLERS;

// MOV E,G / G,E
def(0x88, (cpu, i) => writeE8(cpu, i, cpu.regs8[R8[i.reg]]));
def(0x89, (cpu, i) => writeE16(cpu, i, cpu.regs16[i.reg << 1]), (cpu, i) => {
  if (i.mod === 3) cpu.regs[i.rm] = cpu.regs[i.reg];
  else wr32(cpu, i.seg, i.ea(cpu, i), cpu.regs[i.reg]);
});
def(0x8a, (cpu, i) => { cpu.regs8[R8[i.reg]] = readE8(cpu, i); });
def(0x8b, (cpu, i) => { cpu.regs16[i.reg << 1] = readE16(cpu, i); }, (cpu, i) => {
  cpu.regs[i.reg] = i.mod === 3 ? cpu.regs[i.rm] : rd32(cpu, i.seg, i.ea(cpu, i));
});
// MOV r, imm
for (let r = 0; r < 8; r++) {
  const o8 = R8[r];
  def(0xb0 + r, (cpu, i) => { cpu.regs8[o8] = i.imm; });
  def(0xb8 + r, (cpu, i) => { cpu.regs16[r << 1] = i.imm; }, (cpu, i) => { cpu.regs[r] = i.imm; });
}
// MOV E, imm (group 11)
def(0xc6, (cpu, i) => writeE8(cpu, i, i.imm), undefined, 0);
def(0xc7, (cpu, i) => writeE16(cpu, i, i.imm), (cpu, i) => writeE32(cpu, i, i.imm), 0);
// MOV moffs
def(0xa0, (cpu, i) => { cpu.regs8[0] = rd8(cpu, i.seg, i.imm); });
def(0xa1, (cpu, i) => { cpu.regs16[0] = rd16(cpu, i.seg, i.imm); }, (cpu, i) => { cpu.regs[0] = rd32(cpu, i.seg, i.imm); });
def(0xa2, (cpu, i) => wr8(cpu, i.seg, i.imm, cpu.regs8[0]));
def(0xa3, (cpu, i) => wr16(cpu, i.seg, i.imm, cpu.regs16[0]), (cpu, i) => wr32(cpu, i.seg, i.imm, cpu.regs[0]));

// MOV Ew, Sreg: a register destination with 32-bit operand size zero-extends.
def(0x8c, (cpu, i) => {
  if (i.reg > 5) ud(cpu);
  const v = cpu.sreg[i.reg];
  if (i.mod === 3 && i.o32) cpu.regs[i.rm] = v;
  else writeE16(cpu, i, v);
});
// MOV Sreg, Ew
def(0x8e, (cpu, i) => {
  if (i.reg === CS || i.reg > 5) ud(cpu);
  loadSeg(cpu, i.reg, readE16(cpu, i));
  if (i.reg === SS) { cpu.shadowUntil = cpu.icount + 1; cpu.requestExit(); }
});

// MOVZX / MOVSX
def(0x1b6, (cpu, i) => { cpu.regs16[i.reg << 1] = readE8(cpu, i); }, (cpu, i) => { cpu.regs[i.reg] = readE8(cpu, i); });
def(0x1b7, (cpu, i) => { cpu.regs16[i.reg << 1] = readE16(cpu, i); }, (cpu, i) => { cpu.regs[i.reg] = readE16(cpu, i); });
def(0x1be, (cpu, i) => { cpu.regs16[i.reg << 1] = (readE8(cpu, i) << 24) >> 24; },
  (cpu, i) => { cpu.regs[i.reg] = (readE8(cpu, i) << 24) >> 24; });
def(0x1bf, (cpu, i) => { cpu.regs16[i.reg << 1] = readE16(cpu, i); },
  (cpu, i) => { cpu.regs[i.reg] = (readE16(cpu, i) << 16) >> 16; });

// LEA
def(0x8d, (cpu, i) => {
  if (i.mod === 3) ud(cpu);
  cpu.regs16[i.reg << 1] = i.ea(cpu, i);
}, (cpu, i) => {
  if (i.mod === 3) ud(cpu);
  cpu.regs[i.reg] = i.ea(cpu, i);
});

// XCHG
for (let r = 1; r < 8; r++) {
  def(0x90 + r, (cpu) => {
    const t = cpu.regs16[0]; cpu.regs16[0] = cpu.regs16[r << 1]; cpu.regs16[r << 1] = t;
  }, (cpu) => {
    const t = cpu.regs[0]; cpu.regs[0] = cpu.regs[r]; cpu.regs[r] = t;
  });
}
def(0x90, (cpu, i) => { if (i.rep === 1) { /* PAUSE */ } });
def(0x86, (cpu, i) => {
  const g = R8[i.reg];
  if (i.mod === 3) { const o = R8[i.rm]; const t = cpu.regs8[o]; cpu.regs8[o] = cpu.regs8[g]; cpu.regs8[g] = t; return; }
  const lin = rmwLin(cpu, i, 1);
  const t = lrd8(cpu, lin);
  lwr8(cpu, lin, cpu.regs8[g]);
  cpu.regs8[g] = t;
});
def(0x87, (cpu, i) => {
  const g = i.reg << 1;
  if (i.mod === 3) { const o = i.rm << 1; const t = cpu.regs16[o]; cpu.regs16[o] = cpu.regs16[g]; cpu.regs16[g] = t; return; }
  const lin = rmwLin(cpu, i, 2);
  const t = lrd16(cpu, lin);
  lwr16(cpu, lin, cpu.regs16[g]);
  cpu.regs16[g] = t;
}, (cpu, i) => {
  if (i.mod === 3) { const t = cpu.regs[i.rm]; cpu.regs[i.rm] = cpu.regs[i.reg]; cpu.regs[i.reg] = t; return; }
  const lin = rmwLin(cpu, i, 4);
  const t = lrd32(cpu, lin);
  lwr32(cpu, lin, cpu.regs[i.reg]);
  cpu.regs[i.reg] = t;
});

// XLAT
def(0xd7, (cpu, i) => {
  const off = i.a32 ? (cpu.regs[3] + cpu.regs8[0]) >>> 0 : (cpu.regs16[6] + cpu.regs8[0]) & 0xffff;
  cpu.regs8[0] = rd8(cpu, i.seg, off);
});

// CBW/CWDE, CWD/CDQ
def(0x98, (cpu) => { cpu.regs16[0] = (cpu.regs8[0] << 24) >> 24; }, (cpu) => { cpu.regs[0] = (cpu.regs16[0] << 16) >> 16; });
def(0x99, (cpu) => { cpu.regs16[4] = (cpu.regs16[0] & 0x8000) ? 0xffff : 0; }, (cpu) => { cpu.regs[2] = cpu.regs[0] >> 31; });

// LAHF / SAHF / SALC
def(0x9f, (cpu) => { cpu.regs8[1] = cpu.getEflags() & 0xff; });
def(0x9e, (cpu) => {
  materialize(cpu);
  const m = CF | PF | AF | ZF | SF;
  cpu.flags = (cpu.flags & ~m) | (cpu.regs8[1] & m);
});
def(0xd6, (cpu) => { cpu.regs8[0] = getCF(cpu) ? 0xff : 0; });

// SETcc, CMOVcc
for (let cc = 0; cc < 16; cc++) {
  def(0x190 + cc, (cpu, i) => writeE8(cpu, i, testCC(cpu, cc) ? 1 : 0));
  // CMOV reads its source even when the condition is false (and may fault).
  def(0x140 + cc, (cpu, i) => {
    const v = readE16(cpu, i);
    if (testCC(cpu, cc)) cpu.regs16[i.reg << 1] = v;
  }, (cpu, i) => {
    const v = readE32(cpu, i);
    if (testCC(cpu, cc)) cpu.regs[i.reg] = v;
  });
}

// BSWAP (the 16-bit form is undefined; it zeroes the register as most CPUs do)
for (let r = 0; r < 8; r++) {
  def(0x1c8 + r, (cpu) => { cpu.regs16[r << 1] = 0; }, (cpu) => {
    const v = cpu.regs[r];
    cpu.regs[r] = ((v >>> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24));
  });
}

// XADD
def(0x1c0, (cpu, i) => {
  const g = R8[i.reg];
  if (i.mod === 3) {
    const o = R8[i.rm]; const d = cpu.regs8[o];
    const r = alu(cpu, 0, d, cpu.regs8[g], 8);
    cpu.regs8[g] = d; cpu.regs8[o] = r; return;
  }
  const lin = rmwLin(cpu, i, 1);
  const d = lrd8(cpu, lin);
  const r = alu(cpu, 0, d, cpu.regs8[g], 8);
  lwr8(cpu, lin, r);
  cpu.regs8[g] = d;
});
def(0x1c1, (cpu, i) => {
  const g = i.reg << 1;
  if (i.mod === 3) {
    const o = i.rm << 1; const d = cpu.regs16[o];
    const r = alu(cpu, 0, d, cpu.regs16[g], 16);
    cpu.regs16[g] = d; cpu.regs16[o] = r; return;
  }
  const lin = rmwLin(cpu, i, 2);
  const d = lrd16(cpu, lin);
  const r = alu(cpu, 0, d, cpu.regs16[g], 16);
  lwr16(cpu, lin, r);
  cpu.regs16[g] = d;
}, (cpu, i) => {
  if (i.mod === 3) {
    const d = cpu.regs[i.rm];
    const r = alu(cpu, 0, d, cpu.regs[i.reg], 32);
    cpu.regs[i.reg] = d; cpu.regs[i.rm] = r; return;
  }
  const lin = rmwLin(cpu, i, 4);
  const d = lrd32(cpu, lin);
  const r = alu(cpu, 0, d, cpu.regs[i.reg], 32);
  lwr32(cpu, lin, r);
  cpu.regs[i.reg] = d;
});

// CMPXCHG: compare accumulator with destination; the destination is always written (as on hardware).
def(0x1b0, (cpu, i) => {
  const d = i.mod === 3 ? cpu.regs8[R8[i.rm]] : lrd8(cpu, rmwLin(cpu, i, 1));
  alu(cpu, 7, cpu.regs8[0], d, 8);
  if (cpu.regs8[0] === d) writeE8(cpu, i, cpu.regs8[R8[i.reg]]);
  else { writeE8(cpu, i, d); cpu.regs8[0] = d; }
});
def(0x1b1, (cpu, i) => {
  const d = i.mod === 3 ? cpu.regs16[i.rm << 1] : lrd16(cpu, rmwLin(cpu, i, 2));
  alu(cpu, 7, cpu.regs16[0], d, 16);
  if (cpu.regs16[0] === d) writeE16(cpu, i, cpu.regs16[i.reg << 1]);
  else { writeE16(cpu, i, d); cpu.regs16[0] = d; }
}, (cpu, i) => {
  const d = i.mod === 3 ? cpu.regs[i.rm] : lrd32(cpu, rmwLin(cpu, i, 4));
  alu(cpu, 7, cpu.regs[0], d, 32);
  if (cpu.regs[0] === d) writeE32(cpu, i, cpu.regs[i.reg]);
  else { writeE32(cpu, i, d); cpu.regs[0] = d; }
});

// CMPXCHG8B m64
def(0x1c7, (cpu, i) => {
  if (i.mod === 3) ud(cpu);
  const off = i.ea(cpu, i);
  const lo = rd32(cpu, i.seg, off), hi = rd32(cpu, i.seg, (off + 4) >>> 0);
  materialize(cpu);
  if (lo === cpu.regs[0] && hi === cpu.regs[2]) {
    wr32(cpu, i.seg, off, cpu.regs[3]);
    wr32(cpu, i.seg, (off + 4) >>> 0, cpu.regs[1]);
    cpu.flags |= ZF;
  } else {
    wr32(cpu, i.seg, off, lo);
    wr32(cpu, i.seg, (off + 4) >>> 0, hi);
    cpu.regs[0] = lo;
    cpu.regs[2] = hi;
    cpu.flags &= ~ZF;
  }
}, undefined, 1);

// Far pointer loads: LES LDS LSS LFS LGS
function loadFar(seg: number) {
  return (cpu: Cpu, i: Inst): void => {
    if (i.mod === 3) ud(cpu);
    const off = i.ea(cpu, i);
    const v = i.o32 ? rd32(cpu, i.seg, off) : rd16(cpu, i.seg, off);
    const sel = rd16(cpu, i.seg, (off + (i.o32 ? 4 : 2)) >>> 0);
    loadSeg(cpu, seg, sel);
    if (i.o32) cpu.regs[i.reg] = v; else cpu.regs16[i.reg << 1] = v;
  };
}
def(0xc4, loadFar(0));
def(0xc5, loadFar(3));
def(0x1b2, loadFar(2));
def(0x1b4, loadFar(4));
def(0x1b5, loadFar(5));

// Multi-byte NOPs, hint NOPs, prefetch
def(0x10d, () => {});
for (let op = 0x118; op <= 0x11f; op++) def(op, () => {});
