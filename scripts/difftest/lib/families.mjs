// Instruction families. Each generator appends one tested instruction (or a
// small fixed idiom such as `push imm; popfd`) to a Block and returns its form
// id (e.g. "add m16,imm8"), or false when it cannot be generated in the
// current state (the caller then restores the block and tries again).
//
// Undefined flags follow the Intel SDM, Vol. 2 instruction pages.

import {
  SCR, SCR_SIZE, SEGBASE, CF, PF, AF, ZF, SF, DF, OF, ARITH,
  R32, R16, R8, SIZEKW, EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, STACK_LO, STACK_HI,
  rname, r32of, hex, partOf, withPart,
} from './block.mjs';

const SIZES = [8, 16, 32];
const MASK = { 8: 0xff, 16: 0xffff, 32: 0xffffffff };
const SFX = { 8: 'b', 16: 'w', 32: 'd' };
const ACC = { 8: 'al', 16: 'ax', 32: 'eax' };

function signed(v, bits) {
  return bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
}
function simm(v) {
  return v < 0 ? '-' + hex(-v) : hex(v);
}
function bytesHex(bytes) {
  return bytes.map((x) => '0x' + (x & 0xff).toString(16).padStart(2, '0')).join(', ');
}
function le(v, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
  return out;
}
function rawText(bytes) {
  return bytes.map((x) => (x & 0xff).toString(16).padStart(2, '0')).join(' ');
}

/** An r/m operand: a register or a scratch memory location. */
function rm(b, bits, { mem = b.rng.chance(0.4), dst = false, write = dst, not = [], mo = {} } = {}) {
  if (mem) {
    const m = b.mem(bits / 8, { write, ...mo });
    if (!m) return null;
    return { t: m.t, isMem: true, off: m.off, bits, k: 'm' };
  }
  const idx = b.pickReg(bits, { dst, not });
  return { t: rname(idx, bits), isMem: false, idx, bits, k: 'r' };
}
function reg(b, bits, opts = {}) {
  const idx = b.pickReg(bits, opts);
  return { t: rname(idx, bits), isMem: false, idx, bits, k: 'r' };
}
function valOf(b, op) {
  return op.isMem ? b.memVal(op.off, op.bits / 8) : b.read(op.idx, op.bits);
}
function wr(b, op) {
  if (op.isMem) b.memWrite(op.off, op.bits / 8);
  else b.clobberOp(op.idx, op.bits);
}
function sig(op) {
  return `${op.k}${op.bits}`;
}
function maybeLock(b, op, p = 0.2) {
  return op.isMem && b.rng.chance(p) ? 'lock ' : '';
}

// ------------------------------------------------------------------ ALU
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const LOGIC = new Set(['and', 'or', 'xor', 'test']);

function aluFlags(b, op) {
  if (LOGIC.has(op)) b.flags(CF | OF | SF | ZF | PF, AF);
  else b.flags(ARITH);
}

function alu(b) {
  const rng = b.rng;
  const ALL_SHAPES = ['rr', 'rr_alt', 'mr', 'rm', 'ai', 'ri', 'mi', 'ri8', 'mi8', 'ai_raw', 'alias82'];
  const [op, bits, shape0] = rng.dealProduct('alu', [[...ALU, 'test'], SIZES, ALL_SHAPES]);
  if ((op === 'adc' || op === 'sbb') && !b.canRead(CF)) return false;
  const writes = op !== 'cmp' && op !== 'test';
  const n = ALU.indexOf(op);
  const TEST_SHAPES = { rr_alt: 'rr', rm: 'mr', ri8: 'ri', mi8: 'mi', alias82: 'ai_raw' };
  let shape = op === 'test' ? TEST_SHAPES[shape0] ?? shape0 : shape0;
  if (bits === 8 && (shape === 'ri8' || shape === 'mi8')) shape = shape === 'ri8' ? 'ri' : 'mi';
  if (bits !== 8 && shape === 'alias82') shape = 'rr_alt';
  const kw = SIZEKW[bits / 8];
  const p66 = bits === 16 ? [0x66] : [];
  let form;
  switch (shape) {
    case 'rr': {
      const d = reg(b, bits, { dst: writes });
      const s = reg(b, bits);
      b.read(d.idx, bits); b.read(s.idx, bits);
      b.emit(`${op} ${d.t}, ${s.t}`);
      if (writes) wr(b, d);
      form = `${op} r${bits},r${bits}`;
      break;
    }
    case 'rr_alt': { // the "reg, r/m" direction (02/03, 0A/0B, ...) with a register r/m
      const d = reg(b, bits, { dst: writes });
      const s = reg(b, bits);
      b.read(d.idx, bits); b.read(s.idx, bits);
      const bytes = [...p66, n * 8 + (bits === 8 ? 2 : 3), 0xc0 | (d.idx << 3) | s.idx];
      b.emit(`db ${bytesHex(bytes)}`, `${op} ${d.t}, ${s.t}  ; ${rawText(bytes)}`);
      if (writes) wr(b, d);
      form = `${op} r${bits},r${bits} (${(n * 8 + (bits === 8 ? 2 : 3)).toString(16).padStart(2, '0')})`;
      break;
    }
    case 'mr': {
      const m = rm(b, bits, { mem: true, write: writes });
      if (!m) return false;
      const s = reg(b, bits);
      b.read(s.idx, bits);
      const lk = writes ? maybeLock(b, m) : '';
      b.emit(`${lk}${op} ${m.t}, ${s.t}`);
      if (writes) wr(b, m);
      form = `${lk}${op} m${bits},r${bits}`;
      break;
    }
    case 'rm': {
      const m = rm(b, bits, { mem: true });
      if (!m) return false;
      const d = reg(b, bits, { dst: true });
      b.read(d.idx, bits);
      b.emit(`${op} ${d.t}, ${m.t}`);
      wr(b, d);
      form = `${op} r${bits},m${bits}`;
      break;
    }
    case 'ai': {
      const v = rng.interesting(bits);
      b.read(0, bits);
      b.emit(`${op} ${ACC[bits]}, strict ${kw} ${hex(v)}`);
      if (writes) b.clobber(EAX);
      form = `${op} ${ACC[bits]},imm${bits}`;
      break;
    }
    case 'ai_raw': { // 80/81/83 (F6/F7 for test) with the accumulator as r/m
      b.read(0, bits);
      let bytes, imm;
      if (op === 'test') {
        imm = rng.interesting(bits);
        bytes = [...p66, bits === 8 ? 0xf6 : 0xf7, 0xc0, ...le(imm, bits / 8)];
      } else if (bits !== 8 && rng.chance(0.5)) {
        imm = signed(rng.interesting(8), 8);
        bytes = [...p66, 0x83, 0xc0 | (n << 3), ...le(imm & 0xff, 1)];
      } else {
        imm = rng.interesting(bits);
        bytes = [...p66, bits === 8 ? 0x80 : 0x81, 0xc0 | (n << 3), ...le(imm, bits / 8)];
      }
      b.emit(`db ${bytesHex(bytes)}`, `${op} ${ACC[bits]}, ${simm(imm)}  ; ${rawText(bytes)}`);
      if (writes) b.clobber(EAX);
      form = `${op} ${ACC[bits]},imm (${bytes[p66.length].toString(16)} /${op === 'test' ? 0 : n})`;
      break;
    }
    case 'ri': {
      const d = reg(b, bits, { dst: writes });
      b.read(d.idx, bits);
      const v = rng.interesting(bits);
      b.emit(`${op} ${d.t}, strict ${kw} ${hex(v)}`);
      if (writes) wr(b, d);
      form = `${op} r${bits},imm${bits}`;
      break;
    }
    case 'mi': {
      const m = rm(b, bits, { mem: true, write: writes });
      if (!m) return false;
      const v = rng.interesting(bits);
      const lk = writes ? maybeLock(b, m) : '';
      b.emit(`${lk}${op} ${m.t}, strict ${kw} ${hex(v)}`);
      if (writes) wr(b, m);
      form = `${lk}${op} m${bits},imm${bits}`;
      break;
    }
    case 'ri8': {
      const d = reg(b, bits, { dst: writes });
      b.read(d.idx, bits);
      const v = signed(rng.interesting(8), 8);
      b.emit(`${op} ${d.t}, strict byte ${simm(v)}`);
      if (writes) wr(b, d);
      form = `${op} r${bits},imm8`;
      break;
    }
    case 'mi8': {
      const m = rm(b, bits, { mem: true, write: writes });
      if (!m) return false;
      const v = signed(rng.interesting(8), 8);
      const lk = writes ? maybeLock(b, m) : '';
      b.emit(`${lk}${op} ${m.t}, strict byte ${simm(v)}`);
      if (writes) wr(b, m);
      form = `${lk}${op} m${bits},imm8`;
      break;
    }
    case 'alias82': { // 82 /n ib: the i386 alias of 80 /n
      const d = reg(b, 8, { dst: writes });
      b.read(d.idx, 8);
      const v = rng.interesting(8);
      const bytes = [0x82, 0xc0 | (n << 3) | d.idx, v];
      b.emit(`db ${bytesHex(bytes)}`, `${op} ${d.t}, ${hex(v)}  ; ${rawText(bytes)}`);
      if (writes) wr(b, d);
      form = `${op} r8,imm8 (82)`;
      break;
    }
  }
  aluFlags(b, op);
  return form;
}

// --------------------------------------------------------------- shifts
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sar'];

/** A shift/rotate count: { text, count (number or null if unknown), kind }. */
function countOperand(b, kind, choose) {
  if (kind === '1') return { text: '1', count: 1 };
  if (kind === 'imm') {
    const c = choose();
    return { text: `strict byte ${c}`, count: c };
  }
  // CL
  if (b.isFree(ECX)) b.assignPart(1, 8, choose());
  const c = b.read(1, 8);
  return { text: 'cl', count: c };
}

function shiftCount(rng, bits) {
  return rng.weighted([[6, () => rng.int(bits + 1)], [2, () => rng.int(32)], [2, () => rng.range(32, 255)]])();
}

function shift(b) {
  const rng = b.rng;
  const [op, bits, kind] = rng.dealProduct('shift', [SHIFTS, SIZES, ['1', 'cl', 'imm']]);
  const rc = op === 'rcl' || op === 'rcr';
  const rot = op === 'rol' || op === 'ror' || rc;
  if (rc && !b.canRead(CF)) return false;
  const d = rm(b, bits, { dst: true, mem: rng.chance(0.3) });
  if (!d) return false;
  valOf(b, d);
  const c = countOperand(b, kind, () => shiftCount(rng, bits));
  b.emit(`${op} ${d.t}, ${c.text}`);
  wr(b, d);
  if (c.count === null) {
    if (rot) b.flagsMaybe(CF | OF, OF);
    else b.flagsMaybe(ARITH, AF | OF | (bits < 32 && op !== 'sar' ? CF : 0));
  } else {
    const m = c.count & 31;
    if (m !== 0) {
      if (rot) {
        const eff = rc && bits < 32 ? m % (bits + 1) : m;
        b.flags((eff || !rc ? CF : 0) | (m === 1 ? OF : 0), m === 1 ? 0 : OF);
      } else {
        const cfU = op !== 'sar' && bits < 32 && m >= bits;
        b.flags(SF | ZF | PF | (cfU ? 0 : CF) | (m === 1 ? OF : 0), AF | (cfU ? CF : 0) | (m === 1 ? 0 : OF));
      }
    }
  }
  const ck = kind === '1' ? '1' : kind === 'cl' ? 'cl' : 'imm8';
  return `${op} ${sig(d)},${ck}`;
}

function shiftd(b) {
  const rng = b.rng;
  const [op, bits, kind] = rng.dealProduct('shiftd', [['shld', 'shrd'], [16, 32], ['cl', 'imm']]);
  const choose = () => bits === 16 ? rng.int(17) + (rng.chance(0.2) ? 32 * rng.int(8) : 0) : shiftCount(rng, 32);
  const d = rm(b, bits, { dst: true, mem: rng.chance(0.35) });
  if (!d) return false;
  const s = reg(b, bits);
  valOf(b, d);
  b.read(s.idx, bits);
  const c = countOperand(b, kind, choose);
  if (kind === 'imm') c.text = String(c.count);
  if (c.count === null && bits === 16) return false; // >16 would leave the result undefined
  if (c.count !== null && bits === 16 && (c.count & 31) > 16) return false;
  b.emit(`${op} ${d.t}, ${s.t}, ${c.text}`);
  wr(b, d);
  if (c.count === null) b.flagsMaybe(ARITH, AF | OF);
  else {
    const m = c.count & 31;
    if (m) b.flags(CF | SF | ZF | PF | (m === 1 ? OF : 0), AF | (m === 1 ? 0 : OF));
  }
  return `${op} ${sig(d)},r${bits},${kind === 'cl' ? 'cl' : 'imm8'}`;
}

// -------------------------------------------------------- mul/imul/div
function muldiv(b) {
  const rng = b.rng;
  const sub = rng.deal('muldiv', ['mul', 'imul1', 'imul2', 'imul3', 'div', 'idiv', 'div', 'idiv']);
  if (sub === 'div' || sub === 'idiv') return divide(b, sub === 'idiv');
  if (sub === 'mul' || sub === 'imul1') {
    const bits = rng.pick(SIZES);
    const s = rm(b, bits, {});
    if (!s) return false;
    valOf(b, s);
    b.read(0, bits);
    const mn = sub === 'mul' ? 'mul' : 'imul';
    b.emit(`${mn} ${s.t}`);
    b.clobber(EAX);
    if (bits !== 8) b.clobber(EDX);
    b.flags(CF | OF, SF | ZF | AF | PF);
    return `${mn} ${sig(s)}`;
  }
  const bits = rng.pick([16, 32]);
  const s = rm(b, bits, {});
  if (!s) return false;
  const d = reg(b, bits, { dst: true });
  valOf(b, s);
  b.read(d.idx, bits);
  let form;
  if (sub === 'imul2') {
    b.emit(`imul ${d.t}, ${s.t}`);
    form = `imul r${bits},${sig(s)}`;
  } else if (rng.chance(0.5)) {
    const v = signed(rng.interesting(8), 8);
    b.emit(`imul ${d.t}, ${s.t}, strict byte ${simm(v)}`);
    form = `imul r${bits},${sig(s)},imm8`;
  } else {
    const v = rng.interesting(bits);
    b.emit(`imul ${d.t}, ${s.t}, strict ${SIZEKW[bits / 8]} ${hex(v)}`);
    form = `imul r${bits},${sig(s)},imm${bits}`;
  }
  wr(b, d);
  b.flags(CF | OF, SF | ZF | AF | PF);
  return form;
}

/** Does dividend / divisor fault (#DE)? Values are BigInt, unsigned encodings. */
function divFaults(dividend, divisor, bits, signedDiv) {
  const B = BigInt(bits);
  if (divisor === 0n) return true;
  if (!signedDiv) return dividend / divisor >= 1n << B;
  const n = BigInt.asIntN(2 * bits, dividend);
  const d = BigInt.asIntN(bits, divisor);
  const q = n / d; // BigInt division truncates
  return q < -(1n << (B - 1n)) || q >= 1n << (B - 1n);
}

function divide(b, signedDiv, wantFault = null) {
  const rng = b.rng;
  const bits = rng.pick(SIZES);
  const B = BigInt(bits);
  const mn = signedDiv ? 'idiv' : 'div';
  // dividend registers: AX, DX:AX or EDX:EAX
  const dvRegs = bits === 8 ? [EAX] : [EAX, EDX];
  let s;
  if (rng.chance(0.3)) {
    s = rm(b, bits, { mem: true });
    if (!s) return false;
  } else {
    s = reg(b, bits, { not: wantFault === null ? [] : dvRegs });
  }
  const overlaps = !s.isMem && dvRegs.includes(r32of(s.idx, bits));
  if (!s.isMem && b.isFree(r32of(s.idx, bits)) && !overlaps) {
    const z = wantFault === true ? rng.chance(0.5) : wantFault === null && rng.chance(0.08);
    b.assignPart(s.idx, bits, z ? 0 : rng.interesting(bits) || 1);
  }
  let divisor = valOf(b, s);
  if (!overlaps && dvRegs.every((r) => b.isFree(r)) && divisor !== null) {
    const dv = BigInt(divisor);
    let dividend = null;
    const fault = wantFault ?? rng.chance(0.1);
    for (let tries = 0; tries < 20 && dividend === null; tries++) {
      let cand;
      if (fault || dv === 0n) {
        cand = signedDiv && rng.chance(0.5)
          ? (1n << (2n * B - 1n)) // most negative dividend (overflows for -1 and small divisors)
          : (BigInt(rng.u32()) << 32n | BigInt(rng.u32())) & ((1n << (2n * B)) - 1n);
      } else if (!signedDiv) {
        const q = BigInt(rng.interesting(bits));
        const r = BigInt(rng.u32()) % dv;
        cand = q * dv + r;
      } else {
        const d = BigInt.asIntN(bits, dv);
        const q = BigInt(signed(rng.interesting(bits), bits));
        const ad = d < 0n ? -d : d;
        let r = BigInt(rng.u32()) % ad;
        const prod = q * d;
        if (prod < 0n || (prod === 0n && rng.chance(0.5))) r = -r;
        cand = BigInt.asUintN(2 * bits, prod + r);
      }
      if (divFaults(cand, dv, bits, signedDiv) === fault) dividend = cand;
    }
    if (dividend === null) return false;
    if (bits === 8) b.assignPart(0, 16, Number(dividend));
    else {
      b.assignPart(0, bits, Number(dividend & ((1n << B) - 1n)));
      b.assignPart(2, bits, Number(dividend >> B));
    }
  }
  // What do we know now?
  divisor = valOf(b, s);
  let dividend = null;
  if (bits === 8) {
    const ax = b.read(0, 16);
    if (ax !== null) dividend = BigInt(ax);
  } else {
    const lo = b.read(0, bits), hi = b.read(2, bits);
    if (lo !== null && hi !== null) dividend = (BigInt(hi) << B) | BigInt(lo);
  }
  const known = divisor !== null && dividend !== null;
  const faults = known ? divFaults(dividend, BigInt(divisor), bits, signedDiv) : null;
  if (wantFault !== null && faults !== wantFault) return false;
  if (faults !== false && (b.U !== 0 || !b.espCanMove(-16))) return false;
  if (faults !== false) b.mayFault();
  b.emit(`${mn} ${s.t}`);
  b.clobber(EAX);
  if (bits !== 8) b.clobber(EDX);
  b.flags(0, ARITH);
  if (faults) b.ended = true;
  return `${mn} ${sig(s)}${faults ? ' (#DE)' : ''}`;
}

// ------------------------------------------------ inc/dec/neg/not
function unary(b) {
  const rng = b.rng;
  const [op, bits, shape] = rng.dealProduct('unary', [['inc', 'dec', 'neg', 'not'], SIZES, ['r', 'r', 'raw', 'm']]);
  let form;
  if (shape === 'm') {
    const m = rm(b, bits, { mem: true, write: true });
    if (!m) return false;
    const lk = maybeLock(b, m);
    b.emit(`${lk}${op} ${m.t}`);
    wr(b, m);
    form = `${lk}${op} m${bits}`;
  } else {
    const d = reg(b, bits, { dst: true, deal: `unary-${op}` });
    b.read(d.idx, bits);
    const incdec = op === 'inc' || op === 'dec';
    if (shape === 'raw' && incdec && bits !== 8) { // FF /0, FF /1 with a register (NASM uses 40+r)
      const bytes = [...(bits === 16 ? [0x66] : []), 0xff, 0xc0 | ((op === 'dec' ? 1 : 0) << 3) | d.idx];
      b.emit(`db ${bytesHex(bytes)}`, `${op} ${d.t}  ; ${rawText(bytes)}`);
      form = `${op} r${bits} (ff)`;
    } else {
      b.emit(`${op} ${d.t}`);
      form = `${op} r${bits}${incdec && bits !== 8 ? ' (short)' : ''}`;
    }
    wr(b, d);
  }
  if (op === 'inc' || op === 'dec') b.flags(ARITH & ~CF);
  else if (op === 'neg') b.flags(ARITH);
  return form;
}

// ------------------------------------------------- bt*/bsf/bsr
function bitops(b) {
  const rng = b.rng;
  if (rng.chance(0.3)) return bitscan(b);
  const [op, bits, shape] = rng.dealProduct('bt', [['bt', 'bts', 'btr', 'btc'], [16, 32], ['rr', 'mr', 'ri', 'mi']]);
  const writes = op !== 'bt';
  const W = bits / 8;
  let form;
  if (shape === 'rr' || shape === 'ri') {
    const d = reg(b, bits, { dst: writes });
    b.read(d.idx, bits);
    if (shape === 'rr') {
      const s = reg(b, bits);
      b.read(s.idx, bits);
      b.emit(`${op} ${d.t}, ${s.t}`);
    } else {
      b.emit(`${op} ${d.t}, strict byte ${rng.int(256)}`);
    }
    if (writes) wr(b, d);
    form = `${op} r${bits},${shape === 'rr' ? 'r' + bits : 'imm8'}`;
  } else if (shape === 'mi') {
    const m = rm(b, bits, { mem: true, write: writes });
    if (!m) return false;
    const lk = writes ? maybeLock(b, m) : '';
    b.emit(`${lk}${op} ${m.t}, strict byte ${rng.int(256)}`);
    if (writes) wr(b, m);
    form = `${lk}${op} m${bits},imm8`;
  } else {
    // bit string in memory addressed by a signed register offset
    const oi = b.pickReg(bits, { not: [ESP] });
    const r = oi;
    let o;
    let A = rng.int(SCR_SIZE - W + 1);
    if (b.isFree(r)) {
      const kmin = Math.ceil(-A / W), kmax = Math.floor((SCR_SIZE - W - A) / W);
      const k = rng.range(Math.max(kmin, -40), Math.min(kmax, 40));
      o = k * bits + rng.int(bits);
      b.assignPart(oi, bits, o);
    } else {
      const v = b.read(oi, bits);
      if (v === null) return false;
      o = signed(v, bits);
    }
    const k = Math.floor(o / bits);
    if (!(A + k * W >= 0 && A + k * W <= SCR_SIZE - W)) {
      const f = rng.int(SCR_SIZE - W + 1);
      A = f - k * W;
      if (A < 0 || A > SCR_SIZE - W) return false;
    }
    const m = b.mem(W, { off: A, write: writes });
    if (!m) return false;
    const lk = writes && rng.chance(0.2) ? 'lock ' : '';
    b.emit(`${lk}${op} ${m.t}, ${rname(oi, bits)}`);
    if (writes) b.memWrite(A + k * W, W);
    form = `${lk}${op} m${bits},r${bits}`;
  }
  b.flags(CF, OF | SF | AF | PF);
  return form;
}

function bitscan(b) {
  const rng = b.rng;
  const [op, bits] = rng.dealProduct('bitscan', [['bsf', 'bsr'], [16, 32]]);
  const s = rm(b, bits, {});
  if (!s) return false;
  if (!s.isMem && b.isFree(r32of(s.idx, bits))) {
    b.assignPart(s.idx, bits, rng.chance(0.12) ? 0 : rng.interesting(bits));
  }
  const v = valOf(b, s);
  if (v === null) return false; // a zero source would leave the destination undefined
  const d = reg(b, bits, { dst: true });
  b.read(d.idx, bits);
  b.emit(`${op} ${d.t}, ${s.t}`);
  wr(b, d);
  if (v === 0) { // destination undefined (SDM); nothing may use it afterwards
    b.rmask[d.idx] = bits === 16 ? 0xffff0000 : 0;
    b.ended = true;
  }
  b.flags(ZF, CF | OF | SF | AF | PF);
  return `${op} r${bits},${sig(s)}${v === 0 ? ' (zero)' : ''}`;
}

// --------------------------------------------------- conditions
export const CC = [
  ['o', OF], ['no', OF], ['b', CF], ['ae', CF], ['e', ZF], ['ne', ZF], ['be', CF | ZF], ['a', CF | ZF],
  ['s', SF], ['ns', SF], ['p', PF], ['np', PF], ['l', SF | OF], ['ge', SF | OF], ['le', ZF | SF | OF], ['g', ZF | SF | OF],
];
function pickCC(b, key) {
  const [cc, m] = b.rng.deal(`cc-${key}`, CC);
  if (b.canRead(m)) return cc;
  const ok = CC.filter(([, fm]) => b.canRead(fm));
  return ok.length ? b.rng.pick(ok)[0] : null;
}

function setcc(b) {
  const cc = pickCC(b, 'setcc');
  if (!cc) return false;
  const d = rm(b, 8, { dst: true, mem: b.rng.chance(0.35) });
  if (!d) return false;
  b.emit(`set${cc} ${d.t}`);
  wr(b, d);
  return `set${cc} ${sig(d)}`;
}

function cmovcc(b) {
  const cc = pickCC(b, 'cmovcc');
  if (!cc) return false;
  const bits = b.rng.deal('cmov-bits', [16, 32]);
  const s = rm(b, bits, {});
  if (!s) return false;
  const d = reg(b, bits, { dst: true });
  valOf(b, s);
  b.read(d.idx, bits);
  b.emit(`cmov${cc} ${d.t}, ${s.t}`);
  wr(b, d);
  return `cmov${cc} r${bits},${sig(s)}`;
}

// ----------------------------------------- bswap/xadd/cmpxchg
function bswap(b) {
  const d = reg(b, 32, { dst: true, deal: 'bswap' });
  const v = b.read(d.idx, 32);
  b.emit(`bswap ${d.t}`);
  if (v !== null) {
    b.setKnown(d.idx, ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) >>> 0);
  } else b.clobber(d.idx);
  return 'bswap r32';
}

function xadd(b) {
  const bits = b.rng.deal('xadd', SIZES);
  const d = rm(b, bits, { dst: true, mem: b.rng.chance(0.5) });
  if (!d) return false;
  const s = reg(b, bits, { dst: true });
  valOf(b, d);
  b.read(s.idx, bits);
  const lk = maybeLock(b, d, 0.3);
  b.emit(`${lk}xadd ${d.t}, ${s.t}`);
  wr(b, d);
  wr(b, s);
  b.flags(ARITH);
  return `${lk}xadd ${sig(d)},r${bits}`;
}

function cmpxchg(b) {
  const rng = b.rng;
  const bits = rng.deal('cmpxchg', SIZES);
  const d = rm(b, bits, { dst: true, mem: rng.chance(0.5) });
  if (!d) return false;
  const s = reg(b, bits);
  const dv = valOf(b, d);
  if (dv !== null && b.isFree(EAX) && rng.chance(0.5)) b.assignPart(0, bits, dv);
  b.read(0, bits);
  b.read(s.idx, bits);
  const lk = maybeLock(b, d, 0.3);
  b.emit(`${lk}cmpxchg ${d.t}, ${s.t}`);
  wr(b, d);
  b.clobber(EAX);
  b.flags(ARITH);
  return `${lk}cmpxchg ${sig(d)},r${bits}`;
}

function cmpxchg8b(b) {
  const rng = b.rng;
  const m = b.mem(8, { write: true, kw: 'qword' });
  if (!m) return false;
  const mv = b.memVal(m.off, 8);
  if (mv !== null && b.isFree(EAX) && b.isFree(EDX) && rng.chance(0.5)) {
    b.assign(EAX, Number(mv & 0xffffffffn));
    b.assign(EDX, Number(mv >> 32n));
  }
  for (const r of [EAX, EDX, ECX, EBX]) b.get(r);
  const lk = rng.chance(0.3) ? 'lock ' : '';
  b.emit(`${lk}cmpxchg8b ${m.t}`);
  b.memWrite(m.off, 8);
  b.clobber(EAX);
  b.clobber(EDX);
  b.flags(ZF);
  return `${lk}cmpxchg8b m64`;
}

// ------------------------------------------------------------ moves
function movx(b) {
  const rng = b.rng;
  const [op, [db, sb]] = rng.dealProduct('movx', [['movzx', 'movsx'], [[16, 8], [32, 8], [32, 16]]]);
  const s = rm(b, sb, {});
  if (!s) return false;
  const d = reg(b, db, { dst: true });
  const v = valOf(b, s);
  b.emit(`${op} ${d.t}, ${s.t}`);
  if (v !== null && db === 32) b.setKnown(d.idx, op === 'movzx' ? v : signed(v, sb) >>> 0);
  else wr(b, d);
  return `${op} r${db},${sig(s)}`;
}

function mov(b) {
  const rng = b.rng;
  const [bits, shape] = rng.dealProduct('mov', [SIZES, ['rr', 'rr_alt', 'rm', 'mr', 'ri', 'ri', 'mi', 'ri_raw', 'moffs_load', 'moffs_store']]);
  const kw = SIZEKW[bits / 8];
  const p66 = bits === 16 ? [0x66] : [];
  switch (shape) {
    case 'rr':
    case 'rr_alt': {
      const d = reg(b, bits, { dst: true });
      const s = reg(b, bits);
      const v = b.read(s.idx, bits);
      if (shape === 'rr') b.emit(`mov ${d.t}, ${s.t}`);
      else {
        const bytes = [...p66, bits === 8 ? 0x8a : 0x8b, 0xc0 | (d.idx << 3) | s.idx];
        b.emit(`db ${bytesHex(bytes)}`, `mov ${d.t}, ${s.t}  ; ${rawText(bytes)}`);
      }
      if (v !== null && !b.isUnk(r32of(d.idx, bits))) b.setPart(d.idx, bits, v);
      else wr(b, d);
      return `mov r${bits},r${bits}${shape === 'rr_alt' ? ' (' + (bits === 8 ? '8a' : '8b') + ')' : ''}`;
    }
    case 'rm': {
      const m = rm(b, bits, { mem: true });
      if (!m) return false;
      const d = reg(b, bits, { dst: true });
      const v = valOf(b, m);
      b.emit(`mov ${d.t}, ${m.t}`);
      if (v !== null && !b.isUnk(r32of(d.idx, bits))) b.setPart(d.idx, bits, v);
      else wr(b, d);
      return `mov r${bits},m${bits}`;
    }
    case 'mr': {
      const m = rm(b, bits, { mem: true, write: true });
      if (!m) return false;
      const s = reg(b, bits);
      b.read(s.idx, bits);
      b.emit(`mov ${m.t}, ${s.t}`);
      wr(b, m);
      return `mov m${bits},r${bits}`;
    }
    case 'ri': {
      const d = reg(b, bits, { dst: true, deal: 'mov-ri' });
      const v = rng.interesting(bits);
      b.emit(`mov ${d.t}, strict ${kw} ${hex(v)}`);
      if (!b.isUnk(r32of(d.idx, bits))) b.setPart(d.idx, bits, v);
      return `mov r${bits},imm${bits}`;
    }
    case 'ri_raw': { // C6/C7 /0 with a register
      const d = reg(b, bits, { dst: true });
      const v = rng.interesting(bits);
      const bytes = [...p66, bits === 8 ? 0xc6 : 0xc7, 0xc0 | d.idx, ...le(v, bits / 8)];
      b.emit(`db ${bytesHex(bytes)}`, `mov ${d.t}, ${hex(v)}  ; ${rawText(bytes)}`);
      if (!b.isUnk(r32of(d.idx, bits))) b.setPart(d.idx, bits, v);
      return `mov r${bits},imm${bits} (${bits === 8 ? 'c6' : 'c7'})`;
    }
    case 'mi': {
      const m = rm(b, bits, { mem: true, write: true });
      if (!m) return false;
      b.emit(`mov ${m.t}, strict ${kw} ${hex(rng.interesting(bits))}`);
      wr(b, m);
      return `mov m${bits},imm${bits}`;
    }
    default: { // moffs forms A0-A3, 32- or 16-bit address
      const n = bits / 8;
      const off = b.pickOff(n);
      const seg = rng.chance(0.5) ? rng.pick(['ds', 'es', 'ss', 'fs', 'gs', ...(shape === 'moffs_load' ? ['cs'] : [])]) : null;
      const ea = (SCR + off - (seg ? SEGBASE[seg] : 0)) >>> 0;
      const a16 = rng.chance(0.3);
      const mt = `[${a16 ? 'word ' : ''}${seg ? seg + ':' : ''}${hex(ea)}]`;
      if (shape === 'moffs_load') {
        const v = b.memVal(off, n);
        b.emit(`mov ${ACC[bits]}, ${mt}`);
        if (v !== null && !b.isUnk(EAX)) b.setPart(0, bits, v);
        else b.clobber(EAX);
        return `mov ${ACC[bits]},moffs${a16 ? '16' : '32'}`;
      }
      b.read(0, bits);
      b.emit(`mov ${mt}, ${ACC[bits]}`);
      b.memWrite(off, n);
      return `mov moffs${a16 ? '16' : '32'},${ACC[bits]}`;
    }
  }
}

// --------------------------------------------------------------- lea
const EA16 = [['bx', 'si'], ['bx', 'di'], ['bp', 'si'], ['bp', 'di'], ['si'], ['di'], ['bp'], ['bx']];

function lea(b) {
  const rng = b.rng;
  if (rng.chance(0.2)) { // assembler-encoded forms, incl. 16-bit destination / address
    const o16 = rng.chance(0.5);
    const bits = o16 ? 16 : 32;
    const d = reg(b, bits, { dst: true });
    const m = b.mem(1, { kw: '', noSeg: rng.chance(0.7), only16: rng.chance(0.4) });
    if (!m) return false;
    b.emit(`lea ${d.t}, ${m.t}`);
    wr(b, d);
    return `lea r${bits},m (${m.a16 ? 'a16' : 'a32'})`;
  }
  // hand-encoded ModRM/SIB: every mod/rm/base/index/scale combination
  const o16 = rng.chance(0.2);
  const a16 = rng.chance(0.25);
  const bits = o16 ? 16 : 32;
  const d = b.pickReg(bits, { dst: true });
  const mod = rng.int(3);
  const rm = rng.int(8);
  const bytes = [...(o16 ? [0x66] : []), ...(a16 ? [0x67] : []), 0x8d, (mod << 6) | (d << 3) | rm];
  let expr = [];
  let dispBytes = 0;
  let desc;
  if (a16) {
    if (mod === 0 && rm === 6) dispBytes = 2;
    else {
      expr = [...EA16[rm]];
      dispBytes = mod === 1 ? 1 : mod === 2 ? 2 : 0;
    }
    for (const r of expr) b.get(R16.indexOf(r));
    desc = `a16 mod${mod} rm${rm}`;
  } else {
    if (rm === 4) {
      const scale = rng.int(4), index = rng.int(8), base = rng.int(8);
      bytes.push((scale << 6) | (index << 3) | base);
      if (base === 5 && mod === 0) dispBytes = 4;
      else expr.push(R32[base]);
      if (index !== 4) expr.push(`${R32[index]}*${1 << scale}`);
      desc = `a32 mod${mod} sib${base === 5 && mod === 0 ? ' nobase' : ''}${index === 4 ? ' noindex' : ''}`;
      if (index === 4 && scale) expr.push(`(scale ${1 << scale} ignored)`);
      if (index !== 4) b.get(index);
      if (!(base === 5 && mod === 0)) b.get(base);
    } else if (rm === 5 && mod === 0) {
      dispBytes = 4;
      desc = 'a32 disp32';
    } else {
      expr.push(R32[rm]);
      b.get(rm);
      desc = `a32 mod${mod} rm${rm}`;
    }
    if (mod === 1) dispBytes = 1;
    if (mod === 2) dispBytes = 4;
  }
  let dv = 0;
  if (dispBytes === 1) dv = signed(rng.interesting(8), 8);
  else if (dispBytes === 2) dv = rng.interesting(16);
  else if (dispBytes === 4) dv = rng.interesting(32);
  bytes.push(...le(dv >>> 0, dispBytes));
  if (dispBytes) expr.push(dv < 0 ? '-' + hex(-dv) : hex(dv));
  b.get(r32of(d, bits));
  b.emit(`db ${bytesHex(bytes)}`, `lea ${rname(d, bits)}, [${expr.join('+').replace('+-', '-')}]  ; ${rawText(bytes)}`);
  b.clobber(r32of(d, bits));
  return `lea r${bits},m (${desc})`;
}

// ------------------------------------------------------------ stack
function stack(b) {
  const rng = b.rng;
  const sub = rng.deal('stack', [
    'push_r', 'push_r', 'push_r', 'push_m', 'push_i', 'push_i', 'pop_r', 'pop_r', 'pop_r', 'pop_m', 'pusha', 'popa',
    'pushf', 'popf', 'popf', 'enter', 'enter', 'leave', 'esp', 'esp', 'esp',
  ]);
  const o16 = rng.chance(0.25);
  const bits = o16 ? 16 : 32;
  const W = bits / 8;
  const spOff = () => b.esp() - SCR;
  switch (sub) {
    case 'push_r': {
      if (!b.espCanMove(-W)) return false;
      const s = reg(b, bits, { deal: 'push' });
      b.read(s.idx, bits);
      b.emit(`push ${s.t}`);
      b.moveEsp(-W);
      b.memWrite(spOff(), W);
      return `push r${bits}${s.idx === ESP ? ' (esp)' : ''}`;
    }
    case 'push_m': {
      if (!b.espCanMove(-W)) return false;
      const m = b.mem(W, {});
      if (!m) return false;
      b.emit(`push ${m.t}`);
      b.moveEsp(-W);
      b.memWrite(spOff(), W);
      return `push m${bits}`;
    }
    case 'push_i': {
      const k = rng.pick(['byte', 'word', 'dword']);
      const w = k === 'word' ? 2 : 4;
      if (!b.espCanMove(-w)) return false;
      if (k === 'byte') b.emit(`push strict byte ${simm(signed(rng.interesting(8), 8))}`);
      else b.emit(`push strict ${k} ${hex(rng.interesting(w * 8))}`);
      b.moveEsp(-w);
      b.memWrite(spOff(), w);
      return `push imm${k === 'byte' ? 8 : w * 8}${k === 'word' ? ' (o16)' : ''}`;
    }
    case 'pop_r': {
      if (!b.espCanMove(W)) return false;
      const d = reg(b, bits, { dst: true, deal: 'pop' });
      const v = b.memVal(spOff(), W);
      b.read(d.idx, bits);
      b.emit(`pop ${d.t}`);
      b.moveEsp(W);
      if (v !== null && !b.isUnk(d.idx)) b.setPart(d.idx, bits, v);
      else b.clobber(d.idx);
      return `pop r${bits}`;
    }
    case 'pop_m': {
      if (!b.espCanMove(W)) return false;
      const m = b.mem(W, { write: true, noEsp: true });
      if (!m) return false;
      b.emit(`pop ${m.t}`);
      b.moveEsp(W);
      b.memWrite(m.off, W);
      return `pop m${bits}`;
    }
    case 'pusha': {
      if (!b.espCanMove(-8 * W)) return false;
      for (let r = 0; r < 8; r++) b.get(r);
      b.emit(o16 ? 'pushaw' : 'pushad');
      b.moveEsp(-8 * W);
      b.memWrite(spOff(), 8 * W);
      return o16 ? 'pushaw' : 'pushad';
    }
    case 'popa': {
      if (!b.espCanMove(8 * W)) return false;
      const base = spOff();
      for (let r = 0; r < 8; r++) b.get(r);
      b.emit(o16 ? 'popaw' : 'popad');
      for (let r = 0; r < 8; r++) {
        if (r === ESP) continue;
        const v = b.memVal(base + (7 - r) * W, W);
        if (v !== null && !b.isUnk(r)) b.setPart(r, bits, v);
        else b.clobber(r);
      }
      b.moveEsp(8 * W);
      return o16 ? 'popaw' : 'popad';
    }
    case 'pushf': {
      if (b.U !== 0 || !b.espCanMove(-W)) return false; // the image would hold undefined flags
      b.emit(o16 ? 'pushfw' : 'pushfd');
      b.moveEsp(-W);
      b.memWrite(spOff(), W);
      return o16 ? 'pushfw' : 'pushfd';
    }
    case 'popf': {
      // push a controlled image and pop it: TF and IF stay clear; reserved and
      // ignored bits (RF, VM, VIP, VIF, 3, 5, 15, 22-31) are set at random.
      if (!b.espCanMove(-4)) return false;
      let v = rng.u32() & (ARITH | DF);
      if (rng.chance(0.3)) v |= 0x4000; // NT
      if (rng.chance(0.3)) v |= rng.int(4) << 12; // IOPL
      if (!o16 && rng.chance(0.3)) v |= 0x40000; // AC
      if (!o16 && rng.chance(0.3)) v |= 0x200000; // ID
      if (rng.chance(0.4)) v |= rng.u32() & (o16 ? 0x8028 : 0xffdb8028);
      v = (v & ~0x300) >>> 0; // never TF, IF
      b.emit(o16 ? `push strict word ${hex(v & 0xffff)}` : `push strict dword ${hex(v)}`);
      b.emit(o16 ? 'popfw' : 'popfd');
      b.memWrite(spOff() - W, W);
      b.flags(ARITH);
      b.fl = v;
      if (v & 0x40000) b.acSet = true;
      b.flagsKnown = ARITH | DF;
      b.df = (v & DF) !== 0;
      return o16 ? 'popfw' : 'popfd';
    }
    case 'enter': {
      const level = rng.weighted([[5, 0], [2, 1], [3, rng.range(2, 4)]]);
      const size = rng.int(5) * 4 + (rng.chance(0.2) ? rng.int(4) : 0);
      const enc = level + (rng.chance(0.1) ? 32 : 0); // level is taken mod 32
      const drop = 4 + (level ? 4 * level : 0) + size;
      if (!b.espCanMove(-drop)) return false;
      if (level > 1) {
        if (b.isFree(EBP)) b.assign(EBP, SCR + 0x100 + rng.int(0xf0) + 4 * level);
        const bp = b.get(EBP);
        if (bp === null || bp - 4 * level < SCR || bp > SCR + SCR_SIZE) return false;
      } else b.get(EBP);
      b.emit(`enter ${size}, ${enc}`);
      const frame = b.esp() - 4;
      b.memWrite(frame - SCR - 4 * level, 4 + 4 * level);
      b.setKnown(EBP, frame);
      b.moveEsp(-drop);
      return `enter imm16,${level ? (level === 1 ? '1' : 'n') : '0'}`;
    }
    case 'esp': return espOps(b);
    case 'leave': {
      if (b.isFree(EBP)) b.assign(EBP, b.esp() + 4 * rng.int(8));
      const bp = b.get(EBP);
      if (bp === null || bp < STACK_LO || bp + W > STACK_HI) return false;
      const v = b.memVal(bp - SCR, W);
      b.emit(o16 ? 'o16 leave' : 'leave');
      b.val[ESP] = (bp + W) >>> 0;
      if (v !== null) b.setPart(EBP, bits, v);
      else b.clobber(EBP);
      return o16 ? 'leave (o16)' : 'leave';
    }
  }
  return false;
}

/** Instructions that write ESP itself, leaving it at a known stack address. */
function espOps(b) {
  const rng = b.rng;
  const k = rng.deal('esp', ['inc', 'dec', 'addi', 'subi', 'movi', 'xchg_acc', 'xchg_r', 'lea', 'pop', 'bswap', 'mov_r']);
  const esp = b.esp();
  const target = () => SCR + 0x140 + rng.int(0x80);
  switch (k) {
    case 'inc':
    case 'dec': {
      const o16 = rng.chance(0.3);
      b.emit(`${k} ${o16 ? 'sp' : 'esp'}`);
      b.val[ESP] = (k === 'inc' ? esp + 1 : esp - 1) >>> 0; // SP never wraps here
      b.flags(ARITH & ~CF);
      return `${k} ${o16 ? 'r16' : 'r32'} (esp)`;
    }
    case 'addi':
    case 'subi': {
      const d = rng.range(-32, 32);
      const nv = k === 'addi' ? esp + d : esp - d;
      if (nv < SCR + 0x100 || nv > SCR + 0x1e0) return false;
      b.emit(`${k === 'addi' ? 'add' : 'sub'} esp, strict byte ${simm(d)}`);
      b.val[ESP] = nv >>> 0;
      b.flags(ARITH);
      return `${k === 'addi' ? 'add' : 'sub'} r32,imm8 (esp)`;
    }
    case 'movi': {
      const v = target();
      b.emit(`mov esp, ${hex(v)}`);
      b.val[ESP] = v;
      return 'mov r32,imm32 (esp)';
    }
    case 'mov_r': {
      const r = b.pickReg(32, { dst: true });
      if (!b.isFree(r)) return false;
      b.assign(r, target());
      b.emit(`mov esp, ${R32[r]}`);
      b.val[ESP] = b.val[r];
      return 'mov r32,r32 (esp)';
    }
    case 'xchg_acc':
    case 'xchg_r': {
      const r = k === 'xchg_acc' ? EAX : b.pickReg(32, { dst: true });
      if (!b.isFree(r)) return false;
      b.assign(r, target());
      b.emit(k === 'xchg_acc' ? `xchg eax, esp` : `xchg esp, ${R32[r]}`);
      const v = b.val[r];
      b.setKnown(r, esp);
      b.val[ESP] = v;
      return k === 'xchg_acc' ? 'xchg eax,r32 (90+r, esp)' : 'xchg r32,r32 (esp)';
    }
    case 'lea': {
      const d = rng.range(-48, 48);
      const nv = esp + d;
      if (nv < SCR + 0x100 || nv > SCR + 0x1e0) return false;
      b.emit(`lea esp, [esp${d < 0 ? '-' : '+'}${Math.abs(d)}]`);
      b.val[ESP] = nv;
      return 'lea r32,m (esp)';
    }
    case 'pop': {
      // POP ESP loads ESP from the stack: plant a good value first
      const v = target();
      b.emit(`mov dword [esp], ${hex(v)}`);
      b.emit('pop esp');
      b.memWrite(esp - SCR, 4);
      b.val[ESP] = v;
      return 'pop r32 (esp)';
    }
    case 'bswap': {
      b.emit('bswap esp');
      b.emit('bswap esp');
      return 'bswap r32 (esp, twice)';
    }
  }
  return false;
}

// ----------------------------------------------------------- strings
const STR_OPS = ['movs', 'cmps', 'stos', 'lods', 'scas'];

function strings(b) {
  const rng = b.rng;
  const [op, bits] = rng.dealProduct('string', [STR_OPS, SIZES]);
  const W = bits / 8;
  const useSrc = op === 'movs' || op === 'cmps' || op === 'lods';
  const useDst = op !== 'lods';
  const rep = rng.chance(0.3) ? '' : (op === 'cmps' || op === 'scas') ? rng.pick(['repe', 'repne']) : 'rep';
  const a16 = rng.chance(0.2);
  const seg = useSrc && rng.chance(0.35) ? rng.pick(['es', 'cs', 'ss', 'fs', 'gs', 'ds']) : null;
  const sb = seg ? SEGBASE[seg] : 0;
  const df = b.df;
  const pm = a16 ? 0xffff : 0xffffffff;

  // count
  let n = 1;
  if (rep) {
    if (b.isFree(ECX)) {
      n = rng.chance(0.08) ? 0 : rng.range(1, 12);
      b.assignPart(1, a16 ? 16 : 32, n);
    } else {
      const c = b.read(1, a16 ? 16 : 32);
      if (c === null || c > 40) return false;
      n = c;
    }
  }
  const span = Math.max(n, 1) * W;
  // offsets of the first element accessed so the whole range fits in scratch
  const lo = df ? span - W : 0, hi = SCR_SIZE - (df ? W : span);
  if (lo > hi) return false;
  const placePtr = (r, segBase) => {
    if (b.isFree(r)) {
      const off = rng.range(lo, hi);
      const p = (SCR + off - segBase) >>> 0;
      b.assign(r, a16 ? ((rng.u32() & 0xffff0000) | (p & 0xffff)) >>> 0 : p);
      return off;
    }
    const v = b.get(r);
    if (v === null) return null;
    const off = (((v & pm) + segBase) >>> 0) - SCR;
    return off >= lo && off <= hi ? off : null;
  };
  // cmps: prefer a source/destination pair with a common prefix
  if (op === 'cmps' && b.isFree(ESI) && b.isFree(EDI) && rng.chance(0.7)) {
    let best = null, bestLen = -1;
    const want = rng.int(n + 1);
    for (let t = 0; t < 300; t++) {
      const ps = rng.range(lo, hi), pd = rng.range(lo, hi);
      let k = 0;
      while (k < n) {
        const a = ps + (df ? -k : k) * W, c = pd + (df ? -k : k) * W;
        let eq = true;
        for (let i = 0; i < W; i++) if (b.mem0[a + i] !== b.mem0[c + i]) eq = false;
        if (!eq) break;
        k++;
      }
      if (Math.abs(k - want) < Math.abs(bestLen - want) || best === null) { best = [ps, pd]; bestLen = k; }
    }
    const ps = (SCR + best[0] - sb) >>> 0, pd = (SCR + best[1]) >>> 0;
    b.assign(ESI, a16 ? ((rng.u32() & 0xffff0000) | (ps & 0xffff)) >>> 0 : ps);
    b.assign(EDI, a16 ? ((rng.u32() & 0xffff0000) | (pd & 0xffff)) >>> 0 : pd);
  }
  const so = useSrc ? placePtr(ESI, sb) : 0;
  const dOff = useDst ? placePtr(EDI, 0) : 0;
  if (so === null || dOff === null) return false;
  if (op === 'scas' && b.isFree(EAX)) {
    // aim the accumulator at an element in range (stop point for repne, match for repe)
    const k = rng.int(Math.max(n, 1) + 1);
    const at = dOff + (df ? -k : k) * W;
    const v = at >= 0 && at + W <= SCR_SIZE && rng.chance(0.8) ? b.memVal(at, W) : null;
    b.assignPart(0, bits, v ?? rng.interesting(bits));
  }
  if (op === 'stos' || op === 'scas') b.read(0, bits);
  if (op === 'cmps' || op === 'scas') b.get(ECX);
  const text = `${rep ? rep + ' ' : ''}${a16 ? 'a16 ' : ''}${seg ? seg + ' ' : ''}${op}${SFX[bits]}`;
  b.emit(text);
  const first = (o) => df ? o - (n - 1) * W : o;
  if (op === 'movs' || op === 'stos') b.memWrite(first(dOff), n * W);
  if (op === 'lods' && n > 0) b.clobber(EAX);
  if ((op === 'cmps' || op === 'scas') && n > 0) b.flags(ARITH);
  const step = (df ? -1 : 1) * W;
  const adv = (r, cnt) => {
    const v = b.val[r];
    const nv = a16 ? ((v & 0xffff0000) | ((v + step * cnt) & 0xffff)) >>> 0 : (v + step * cnt) >>> 0;
    b.setKnown(r, nv);
  };
  if (rep && (op === 'cmps' || op === 'scas') && n > 0) {
    if (useSrc) b.clobber(ESI);
    if (useDst) b.clobber(EDI);
    b.clobber(ECX);
  } else {
    if (useSrc) adv(ESI, n);
    if (useDst) adv(EDI, n);
    if (rep) b.setPart(1, a16 ? 16 : 32, 0);
  }
  return `${rep ? rep + ' ' : ''}${op}${SFX[bits]}${a16 ? ' (a16)' : ''}${seg ? ' (seg)' : ''}`;
}

// -------------------------------------------------------------- BCD
function bcdValue(rng) {
  return rng.weighted([
    [3, () => ((rng.int(10) << 4) | rng.int(10))],
    [2, () => rng.int(256)],
    [1, () => rng.pick([0x99, 0x9a, 0xf9, 0xfa, 0x0a, 0x00, 0x05, 0x60, 0xff])],
  ])();
}
function bcd(b) {
  const rng = b.rng;
  const op = rng.deal('bcd', ['daa', 'das', 'aaa', 'aas', 'aam', 'aad']);
  if ((op === 'daa' || op === 'das') && !b.canRead(AF | CF)) return false;
  if ((op === 'aaa' || op === 'aas') && !b.canRead(AF)) return false;
  if (b.isFree(EAX)) b.assignPart(0, 16, (rng.int(256) << 8) | bcdValue(rng));
  b.get(EAX);
  let form = op;
  if (op === 'aam' || op === 'aad') {
    if (rng.chance(0.6)) b.emit(op);
    else {
      const base = rng.range(1, 255);
      b.emit(`${op} ${base}`);
      form = `${op} imm8`;
    }
  } else b.emit(op);
  b.clobber(EAX);
  if (op === 'daa' || op === 'das') b.flags(CF | AF | SF | ZF | PF, OF);
  else if (op === 'aaa' || op === 'aas') b.flags(AF | CF, OF | SF | ZF | PF);
  else b.flags(SF | ZF | PF, OF | AF | CF);
  return form;
}

// --------------------------------------------- conversions and flags
function convert(b) {
  const op = b.rng.deal('convert', ['cbw', 'cwde', 'cwd', 'cdq']);
  b.get(EAX);
  b.get(EDX);
  b.emit(op);
  if (op === 'cwd' || op === 'cdq') b.clobber(EDX);
  else b.clobber(EAX);
  return op;
}

function flagops(b) {
  const rng = b.rng;
  const op = rng.deal('flags', ['clc', 'stc', 'cmc', 'cld', 'std', 'lahf', 'sahf', 'nop', 'cli']);
  if (op === 'cmc' && !b.canRead(CF)) return false;
  if (op === 'lahf' && !b.canRead(SF | ZF | AF | PF | CF)) return false;
  b.get(EAX);
  b.emit(op);
  switch (op) {
    case 'clc': case 'stc': case 'cmc': b.flags(CF); break;
    case 'cld': b.df = false; break;
    case 'std': b.df = true; break;
    case 'lahf': b.clobber(EAX); break;
    case 'sahf': b.flags(SF | ZF | AF | PF | CF); break;
  }
  return op;
}

function xchg(b) {
  const rng = b.rng;
  const [bits, shape] = rng.dealProduct('xchg', [SIZES, ['rr', 'acc', 'acc', 'rm', 'mr']]);
  if (shape === 'acc' && bits !== 8) { // 90+r
    const r = b.pickReg(bits, { dst: true, deal: 'xchg-acc' });
    b.get(EAX); b.get(r);
    b.emit(`xchg ${ACC[bits]}, ${rname(r, bits)}`);
    b.clobber(EAX); b.clobber(r);
    return `xchg ${ACC[bits]},r${bits} (90+r)`;
  }
  const s = reg(b, bits, { dst: true });
  b.read(s.idx, bits);
  if (shape === 'rr' || shape === 'acc') {
    const d = reg(b, bits, { dst: true });
    b.read(d.idx, bits);
    b.emit(`xchg ${d.t}, ${s.t}`);
    wr(b, d); wr(b, s);
    return `xchg r${bits},r${bits}`;
  }
  const m = b.mem(bits / 8, { write: true });
  if (!m) return false;
  const lk = shape === 'mr' && rng.chance(0.3) ? 'lock ' : '';
  b.emit(shape === 'rm' ? `xchg ${s.t}, ${m.t}` : `${lk}xchg ${m.t}, ${s.t}`);
  b.memWrite(m.off, bits / 8);
  wr(b, s);
  return `${lk}xchg m${bits},r${bits}`;
}

function xlat(b) {
  const rng = b.rng;
  const a16 = rng.chance(0.3);
  const seg = rng.chance(0.4) ? rng.pick(['es', 'cs', 'ss', 'fs', 'gs', 'ds']) : null;
  const off = rng.int(SCR_SIZE);
  const ea = (SCR + off - (seg ? SEGBASE[seg] : 0)) >>> 0;
  if (b.isFree(EBX)) {
    if (b.isFree(EAX)) b.assignPart(0, 8, rng.interesting(8));
    const al = b.read(0, 8);
    if (al === null) return false;
    const bx = (ea - al) >>> 0;
    b.assign(EBX, a16 ? ((rng.u32() & 0xffff0000) | (bx & 0xffff)) >>> 0 : bx);
  } else {
    const bxv = b.get(EBX);
    if (bxv === null) return false;
    if (b.isFree(EAX)) {
      const al = (ea - bxv) & (a16 ? 0xffff : 0xffffffff);
      if (al > 0xff) return false;
      b.assignPart(0, 8, al);
    }
    const al = b.read(0, 8);
    if (al === null) return false;
    const sum = a16 ? (bxv + al) & 0xffff : (bxv + al) >>> 0;
    if (sum !== ea) return false;
  }
  b.emit(`${seg ? seg + ' ' : ''}${a16 ? 'a16 ' : ''}xlatb`);
  const v = b.memVal(off, 1);
  if (v !== null) b.setPart(0, 8, v);
  else b.clobber(EAX);
  return `xlatb${a16 ? ' (a16)' : ''}${seg ? ' (seg)' : ''}`;
}

// ---------------------------------------------------------- branches
function filler(b) {
  const r = b.pickReg(32, { dst: true });
  b.get(r);
  b.emit(`not ${R32[r]}`);
  b.clobber(r);
}

function branch(b) {
  const rng = b.rng;
  const sub = rng.deal('branch', [
    'jcc', 'jcc', 'jcc', 'jcc', 'jcc', 'jcc', 'jcc', 'jcc', 'jcxz', 'jcxz', 'loop', 'loop', 'loop', 'jmp', 'call', 'callind',
    'callind', 'ret', 'ret', 'jmpind', 'callfar', 'jmpfar', 'callfarm', 'jmpfarm', 'retf', 'iret',
  ]);
  const L = b.label();
  switch (sub) {
    case 'jcc': {
      const near = rng.deal('jcc-near', [false, true]);
      const cc = pickCC(b, near ? 'jcc32' : 'jcc8');
      if (!cc) return false;
      b.emit(`j${cc} ${near ? 'near' : 'short'} ${L}`);
      filler(b);
      b.asm(`${L}:`);
      return `j${cc} ${near ? 'rel32' : 'rel8'}`;
    }
    case 'jcxz': {
      const a16 = rng.chance(0.4);
      if (b.isFree(ECX)) b.assignPart(1, a16 ? 16 : 32, rng.chance(0.4) ? 0 : rng.interesting(a16 ? 16 : 32));
      b.get(ECX);
      b.emit(`${a16 ? 'jcxz' : 'jecxz'} ${L}`);
      filler(b);
      b.asm(`${L}:`);
      return a16 ? 'jcxz' : 'jecxz';
    }
    case 'loop': {
      const op = rng.pick(['loop', 'loope', 'loopne']);
      if (op !== 'loop' && !b.canRead(ZF)) return false;
      const a16 = rng.chance(0.3);
      if (b.isFree(ECX)) b.assignPart(1, a16 ? 16 : 32, rng.chance(0.3) ? rng.int(3) : rng.interesting(a16 ? 16 : 32));
      const c = b.read(1, a16 ? 16 : 32);
      b.emit(`${op} ${L}${a16 ? ', cx' : ''}`);
      filler(b);
      b.asm(`${L}:`);
      if (c !== null && !b.isUnk(ECX)) b.setPart(1, a16 ? 16 : 32, (c - 1) & (a16 ? 0xffff : 0xffffffff));
      else b.clobber(ECX);
      return `${op}${a16 ? ' (cx)' : ''}`;
    }
    case 'jmp': {
      const near = rng.chance(0.5);
      b.emit(`jmp ${near ? 'near' : 'short'} ${L}`);
      filler(b);
      b.asm(`${L}:`);
      return `jmp ${near ? 'rel32' : 'rel8'}`;
    }
    case 'call': {
      if (!b.espCanMove(-4)) return false;
      b.emit(`call ${L}`);
      filler(b);
      b.asm(`${L}:`);
      b.moveEsp(-4);
      b.memWrite(b.esp() - SCR, 4);
      return 'call rel32';
    }
    case 'callind':
    case 'jmpind': {
      const isCall = sub === 'callind';
      if (isCall && !b.espCanMove(-4)) return false;
      let form;
      if (rng.chance(0.5)) {
        const r = b.pickReg(32, { dst: true });
        b.get(r);
        b.emit(`mov ${R32[r]}, ${L}`);
        b.clobber(r);
        b.emit(`${isCall ? 'call' : 'jmp'} ${R32[r]}`);
        form = `${isCall ? 'call' : 'jmp'} r32`;
      } else {
        const m = b.mem(4, { write: true, no16: true });
        if (!m) return false;
        b.emit(`mov ${m.t}, ${L}`);
        b.emit(`${isCall ? 'call' : 'jmp'} ${m.t}`);
        b.memWrite(m.off, 4);
        form = `${isCall ? 'call' : 'jmp'} m32`;
      }
      filler(b);
      b.asm(`${L}:`);
      if (isCall) {
        b.moveEsp(-4);
        b.memWrite(b.esp() - SCR, 4);
      }
      return form;
    }
    case 'ret': {
      const n = rng.chance(0.5) ? 0 : 4 * rng.int(4) + (rng.chance(0.2) ? 2 : 0);
      if (!b.espCanMove(-4) || !b.espCanMove(n)) return false;
      b.emit(`push dword ${L}`);
      b.emit(n ? `ret ${n}` : 'ret');
      b.memWrite(b.esp() - SCR - 4, 4);
      filler(b);
      b.asm(`${L}:`);
      b.moveEsp(n);
      return n ? 'ret imm16' : 'ret';
    }
    case 'callfar':
    case 'jmpfar':
    case 'callfarm':
    case 'jmpfarm': {
      // far transfers to the same code segment (0x08)
      const isCall = sub.startsWith('call');
      if (isCall && !b.espCanMove(-8)) return false;
      let form;
      if (sub.endsWith('m')) {
        const off = b.pickOff(6);
        const mo = b.mem(4, { off, write: true });
        const ms = b.mem(2, { off: off + 4, write: true });
        const mp = b.mem(6, { off, kw: 'far' });
        if (!mo || !ms || !mp) return false;
        b.emit(`mov ${mo.t}, ${L}`);
        b.emit(`mov ${ms.t}, 0x08`);
        b.emit(`${isCall ? 'call' : 'jmp'} ${mp.t}`);
        b.memWrite(off, 6);
        form = `${isCall ? 'call' : 'jmp'} m16:32`;
      } else {
        b.emit(`${isCall ? 'call' : 'jmp'} 0x08:${L}`);
        form = `${isCall ? 'call' : 'jmp'} ptr16:32`;
      }
      filler(b);
      b.asm(`${L}:`);
      if (isCall) {
        // the CS slot's upper half: zero or left unchanged, depending on the CPU
        const cs = b.esp() - 4 - SCR;
        for (const k of [2, 3]) b.mmask.set(cs + k, 0);
        b.moveEsp(-8);
        b.memWrite(b.esp() - SCR, 8);
      }
      return form;
    }
    case 'retf': {
      const n = rng.chance(0.5) ? 0 : 4 * rng.int(4);
      if (!b.espCanMove(-8) || !b.espCanMove(n)) return false;
      b.emit('push strict dword 0x08');
      b.emit(`push dword ${L}`);
      b.emit(n ? `retf ${n}` : 'retf');
      b.memWrite(b.esp() - SCR - 8, 8);
      filler(b);
      b.asm(`${L}:`);
      b.moveEsp(n);
      return n ? 'retf imm16' : 'retf';
    }
    case 'iret': {
      // same-privilege IRETD: the flags image is the current EFLAGS
      if (b.U !== 0 || !b.espCanMove(-12)) return false;
      b.emit('pushfd');
      b.emit('push strict dword 0x08');
      b.emit(`push dword ${L}`);
      b.emit('iretd');
      b.memWrite(b.esp() - SCR - 12, 12);
      filler(b);
      b.asm(`${L}:`);
      return 'iretd';
    }
  }
  return false;
}

// -------------------------------------------------------- exceptions
// Every IDT vector points to a stub that pushes its vector number and jumps
// to the end of the current block; the frame lands in the scratch stack.
function exception(b) {
  const rng = b.rng;
  if (b.U !== 0 || !b.espCanMove(-20)) return false;
  const sub = rng.weighted([
    [2, 'ud2'], [2, 'lockreg'], [1, 'leareg'], [1, 'cx8reg'], [3, 'div0'], [2, 'divovf'],
    [1, 'aam0'], [2, 'into'], [2, 'int'], [1, 'int3'], [3, 'bound'],
  ]);
  // Not generated, because QEMU TCG does not fault where CPUs do: a LOCK
  // prefix on MOV (and other non-lockable instructions), a write through a
  // CS override or any other segment-type or segment-limit violation.
  b.mayFault();
  let form;
  switch (sub) {
    case 'ud2': b.emit('ud2'); form = 'ud2 (#UD)'; break;
    case 'lockreg': {
      const op = rng.pick(['add', 'xor', 'sub', 'or']);
      const d = reg(b, 32, { dst: true }), s = reg(b, 32, { not: [] });
      // not the same register twice: QEMU 7.2 executes `lock xor r,r` (it
      // special-cases register clearing) where CPUs raise #UD
      if (d.idx === s.idx) return false;
      b.get(d.idx); b.get(s.idx);
      b.emit('db 0xf0', 'lock prefix');
      b.emit(`${op} ${d.t}, ${s.t}`);
      form = 'lock + register operand (#UD)';
      break;
    }
    case 'leareg': {
      const bytes = [0x8d, 0xc0 | (rng.int(8) << 3) | rng.int(8)];
      b.emit(`db ${bytesHex(bytes)}`, `lea with register operand  ; ${rawText(bytes)}`);
      form = 'lea r,r (#UD)';
      break;
    }
    case 'cx8reg': {
      const bytes = [0x0f, 0xc7, 0xc8 | rng.int(8)];
      b.emit(`db ${bytesHex(bytes)}`, `cmpxchg8b with register operand  ; ${rawText(bytes)}`);
      form = 'cmpxchg8b r (#UD)';
      break;
    }
    case 'div0':
    case 'divovf': {
      const r = divide(b, sub === 'divovf' ? true : rng.chance(0.5), true);
      if (!r) return false;
      return r;
    }
    case 'aam0': b.get(EAX); b.emit('aam 0'); form = 'aam 0 (#DE)'; break;
    case 'into': {
      const of = (b.flagsKnown & OF) ? (b.fl & OF) !== 0 : null;
      if (of === null) return false;
      b.emit('into');
      form = `into${of ? ' (#OF)' : ' (no trap)'}`;
      if (!of) return form;
      break;
    }
    case 'int': {
      const v = rng.int(256);
      b.emit(`int ${hex(v)}`);
      form = 'int imm8';
      break;
    }
    case 'int3': {
      if (rng.chance(0.5)) { b.emit('int3'); form = 'int3 (cc)'; }
      else { b.emit('int 3'); form = 'int 3 (cd 03)'; }
      break;
    }
    case 'bound': {
      const bits = rng.pick([16, 32]);
      const W = bits / 8;
      const m = b.mem(2 * W, { kw: '' });
      if (!m) return false;
      const lo = b.memVal(m.off, W), hi = b.memVal(m.off + W, W);
      if (lo === null || hi === null) return false;
      const r = b.pickReg(bits, { not: [ESP] });
      const sl = signed(lo, bits), sh = signed(hi, bits);
      if (b.isFree(r)) {
        const inside = sl <= sh && rng.chance(0.5);
        const v = inside ? rng.range(sl, sh) : rng.pick([sl - 1, sh + 1, sl, sh, signed(rng.interesting(bits), bits)]);
        b.assignPart(r, bits, v);
      }
      const v = b.read(r, bits);
      if (v === null) return false;
      const sv = signed(v, bits);
      const trap = sv < sl || sv > sh;
      b.emit(`bound ${rname(r, bits)}, ${m.t}`);
      form = `bound r${bits},m${bits}&${bits}${trap ? ' (#BR)' : ''}`;
      if (!trap) return form;
      break;
    }
  }
  b.flags(0); // flags are not changed by a fault; nothing follows
  b.ended = true;
  return form;
}

// ---------------------------------------------------- segment loads
// GDT (see kernel.mjs): 08 code, 10 data, 18 data base 0x1000, 20 data base
// 0xfffff000, 28 data base SCR limit 0xff, 30 read-only data, 38 execute-only
// code, 40 readable code, 48 data DPL3, 50 not-present data; limit 0x57.
// Selectors that load without fault, their base, and whether data may be
// written through them. 0x28 has a 0xff byte limit: accesses stay inside it.
// (QEMU TCG checks none of the type/limit rules on the access itself, so the
// generator never breaks them; loads are checked and may fault.)
const SEL_OK = [0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48];
const SEL_BASE = { 0x08: 0, 0x10: 0, 0x18: 0x1000, 0x20: 0xfffff000, 0x28: SCR, 0x30: 0, 0x40: 0, 0x48: 0 };
const SEL_WRITABLE = new Set([0x10, 0x18, 0x20, 0x28, 0x48]);
// Faulting loads (null is fine to load, but is never used afterwards). No
// TI=1 selector: the LDTR is never loaded, and its reset contents (base 0,
// limit 0xffff) make such a load read the BIOS area, which differs between
// machines.
const SEL_BAD = [0x00, 0x13, 0x38, 0x50, 0x58, 0x7f8];

function segment(b) {
  const rng = b.rng;
  if (b.U !== 0 || !b.espCanMove(-20)) return false;
  const sub = rng.weighted([[4, 'load'], [2, 'store'], [2, 'pop'], [2, 'lxs'], [1, 'lss'], [1, 'push16'], [1, 'ss']]);
  const sreg = rng.deal('sreg', ['ds', 'es', 'fs', 'gs']);
  const isLoad = sub !== 'store' && sub !== 'push16' && sub !== 'ss';
  const bad = isLoad && rng.chance(0.25);
  const sel = bad ? rng.pick(SEL_BAD) : rng.pick(SEL_OK);
  b.mayFault();
  let form;
  const useAfter = () => {
    // access through the freshly loaded segment
    if (bad) return;
    const base = SEL_BASE[sel];
    const off = sel === 0x28 ? rng.int(0x100 - 3) : rng.int(SCR_SIZE - 4);
    const ea = (SCR + off - base) >>> 0;
    const r = b.pickReg(32, { dst: true });
    const write = SEL_WRITABLE.has(sel) && rng.chance(0.5);
    if (write) b.get(r);
    b.emit(write ? `mov [${sreg}:${hex(ea)}], ${R32[r]}` : `mov ${R32[r]}, [${sreg}:${hex(ea)}]`);
    if (!write) b.clobber(r);
  };
  switch (sub) {
    case 'load': {
      if (rng.chance(0.6)) {
        const r = b.pickReg(16, { not: [ESP] });
        if (!b.isFree(r)) return false;
        b.assignPart(r, 16, sel);
        b.emit(`mov ${sreg}, ${R16[r]}`);
        form = `mov sreg,r16`;
      } else {
        const m = b.mem(2, { write: true, kw: 'word' });
        if (!m) return false;
        b.emit(`mov ${m.t}, strict word ${hex(sel)}`);
        b.emit(`mov ${sreg}, ${m.t}`);
        b.memWrite(m.off, 2);
        form = `mov sreg,m16`;
      }
      useAfter();
      break;
    }
    case 'store': {
      const k = rng.pick(['r16', 'r32', 'm16']);
      const s = rng.pick(['cs', 'ss', 'ds', 'es', 'fs', 'gs']);
      if (k === 'm16') {
        const m = b.mem(2, { write: true, kw: 'word' });
        if (!m) return false;
        b.emit(`mov ${m.t}, ${s}`);
        b.memWrite(m.off, 2);
      } else {
        const r = b.pickReg(32, { dst: true });
        b.get(r);
        b.emit(`mov ${k === 'r16' ? R16[r] : R32[r]}, ${s}`);
        b.clobber(r);
        if (k === 'r32') b.rmask[r] = 0xffff; // upper half: zero on P6+, undefined before
      }
      form = `mov ${k},sreg`;
      break;
    }
    case 'pop': {
      const o16 = rng.chance(0.3);
      const W = o16 ? 2 : 4;
      if (o16) b.emit(`push strict word ${hex(sel)}`);
      else b.emit(`push strict dword ${hex((sel | (rng.u32() & 0xffff0000)) >>> 0)}`);
      b.moveEsp(-W);
      b.memWrite(b.esp() - SCR, W);
      b.mayFault();
      b.emit(`${o16 ? 'o16 ' : ''}pop ${sreg}`);
      b.moveEsp(W);
      form = `pop sreg${o16 ? ' (o16)' : ''}`;
      if (bad) break;
      if (o16 && rng.chance(0.5)) {
        // a 16-bit push of a segment register writes exactly two bytes (the
        // 32-bit form may write two or four, depending on the CPU: not tested)
        b.emit(`o16 push ${sreg}`);
        b.memWrite(b.esp() - SCR - 2, 2);
        b.moveEsp(-2);
      }
      useAfter();
      break;
    }
    case 'lxs': {
      const op = sreg === 'ds' ? 'lds' : sreg === 'es' ? 'les' : sreg === 'fs' ? 'lfs' : 'lgs';
      const o16 = rng.chance(0.3);
      const W = o16 ? 2 : 4;
      const off = b.pickOff(W + 2);
      // write the far pointer, then load it (three independently formed addresses)
      const mo = b.mem(W, { off, write: true });
      const ms = b.mem(2, { off: off + W, write: true });
      const mp = b.mem(W + 2, { off, kw: '' });
      if (!mo || !ms || !mp) return false;
      const d = b.pickReg(o16 ? 16 : 32, { dst: true });
      b.get(d);
      b.emit(`mov ${mo.t}, ${hex(rng.interesting(W * 8))}`);
      b.emit(`mov ${ms.t}, ${hex(sel)}`);
      b.emit(`${op} ${rname(d, o16 ? 16 : 32)}, ${mp.t}`);
      b.memWrite(off, W + 2);
      b.clobber(d);
      form = `${op} r${o16 ? 16 : 32},m16:${o16 ? 16 : 32}`;
      useAfter();
      break;
    }
    case 'push16': {
      // 16-bit pushes of segment registers write exactly two bytes (the
      // 32-bit form writes two or four, depending on the CPU: not tested)
      const s = rng.deal('push16', ['es', 'cs', 'ss', 'ds', 'fs', 'gs']);
      if (!b.espCanMove(-2)) return false;
      b.emit(`o16 push ${s}`);
      b.moveEsp(-2);
      b.memWrite(b.esp() - SCR, 2);
      form = 'push sreg (o16)';
      break;
    }
    case 'ss': {
      // reload SS with its own selector; a NOP follows because the
      // instruction after a load of SS runs with interrupts inhibited
      const k = rng.pick(['mov', 'pop', 'pop16']);
      if (k === 'mov') {
        const r = b.pickReg(16, { not: [ESP] });
        if (!b.isFree(r)) return false;
        b.assignPart(r, 16, 0x10);
        b.emit(`mov ss, ${R16[r]}`);
      } else {
        const w = k === 'pop' ? 4 : 2;
        b.emit(w === 4 ? `push strict dword ${hex((0x10 | (rng.u32() & 0xffff0000)) >>> 0)}` : 'push strict word 0x10');
        b.emit(`${w === 2 ? 'o16 ' : ''}pop ss`);
        b.memWrite(b.esp() - SCR - w, w);
      }
      b.emit('nop');
      form = `${k === 'mov' ? 'mov ss,r16' : k === 'pop' ? 'pop ss' : 'pop ss (o16)'}`;
      break;
    }
    case 'lss': {
      const off = b.pickOff(6);
      const mo = b.mem(4, { off, write: true });
      const ms = b.mem(2, { off: off + 4, write: true });
      const mp = b.mem(6, { off, kw: '' });
      if (!mo || !ms || !mp) return false;
      const newEsp = SCR + 0x140 + 4 * rng.int(16);
      const s = bad ? rng.pick([0x00, 0x30, 0x48, 0x50, 0x38, 0x58]) : 0x10;
      b.emit(`mov ${mo.t}, ${hex(newEsp)}`);
      b.emit(`mov ${ms.t}, ${hex(s)}`);
      b.emit(`lss esp, ${mp.t}`);
      b.memWrite(off, 6);
      if (!bad) {
        b.val[ESP] = newEsp;
        b.get(EAX);
        b.emit('push eax');
        b.moveEsp(-4);
        b.memWrite(b.esp() - SCR, 4);
      }
      b.flags(0);
      b.ended = true;
      return `lss esp,m16:32${bad ? ' (bad sel)' : ''}`;
    }
  }
  b.flags(0);
  b.ended = true; // segment state differs from what mem() assumes
  return form + (!isLoad ? '' : sel === 0 ? ' (null)' : bad ? ' (bad sel)' : '');
}

// ------------------------------------------------------ prefixes
function prefixes(b) {
  const rng = b.rng;
  const sub = rng.deal('prefix', ['seg_noop', 'a16_noop', 'o16_dup', 'raw_o16_mem', 'raw_seg_mem', 'a16_dup', 'pause', 'branch_hint', 'lock_xchg']);
  const op = rng.pick(['add', 'sub', 'and', 'or', 'xor', 'adc', 'sbb', 'cmp']);
  if ((op === 'adc' || op === 'sbb') && !b.canRead(CF)) return false;
  const SEGP = { es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 };
  switch (sub) {
    case 'seg_noop':
    case 'a16_noop':
    case 'o16_dup': {
      const bits = sub === 'o16_dup' ? 16 : 32;
      const d = reg(b, bits, { dst: true }), s = reg(b, bits);
      b.read(d.idx, bits); b.read(s.idx, bits);
      const p = sub === 'seg_noop' ? SEGP[rng.pick(Object.keys(SEGP))] : sub === 'a16_noop' ? 0x67 : 0x66;
      b.emit(`db ${hex(p)}`, `prefix ${hex(p)}`);
      b.emit(`${op} ${d.t}, ${s.t}`);
      if (op !== 'cmp') wr(b, d);
      aluFlags(b, op);
      return `prefix ${sub}`;
    }
    case 'raw_o16_mem':
    case 'raw_seg_mem': {
      // raw 66 and/or segment prefixes in front of a 32-bit memory instruction
      const o16 = sub === 'raw_o16_mem';
      const seg = rng.pick(Object.keys(SEGP));
      const withSeg = !o16 || rng.chance(0.5);
      const bits = o16 ? 16 : 32;
      const m = b.mem(bits / 8, { write: op !== 'cmp', noSeg: true, segOverride: withSeg ? seg : null, kw: '' });
      if (!m) return false;
      if (withSeg && seg === 'cs' && op !== 'cmp') return false;
      const r = b.pickReg(32, { dst: true });
      b.read(r, bits);
      const pre = [];
      if (o16) pre.push(0x66);
      if (withSeg) pre.push(SEGP[seg]);
      rng.shuffle(pre);
      b.emit(`db ${bytesHex(pre)}`, `prefixes ${rawText(pre)}`);
      const bodyText = `${op} ${m.t.replace('[', `[${withSeg ? seg + ':' : ''}`)}, ${rname(r, bits)}`;
      b.emit(`${op} ${m.t}, ${R32[r]}`, bodyText);
      if (op !== 'cmp') b.memWrite(m.off, bits / 8);
      aluFlags(b, op);
      return `prefix ${sub}`;
    }
    case 'a16_dup': {
      const m = b.mem(4, { only16: true, kw: '' });
      if (!m) return false;
      const r = b.pickReg(32, { dst: true });
      b.emit('db 0x67', 'prefix 0x67');
      b.emit(`mov ${R32[r]}, ${m.t}`);
      b.clobber(r);
      return 'prefix a16_dup';
    }
    case 'pause':
      b.emit('pause');
      return 'pause (f3 90)';
    case 'branch_hint': {
      const cc = pickCC(b, 'hint');
      if (!cc) return false;
      const L = b.label();
      const p = rng.pick([0x2e, 0x3e]);
      b.emit(`db ${hex(p)}`, `prefix ${hex(p)} (branch hint)`);
      b.emit(`j${cc} short ${L}`);
      filler(b);
      b.asm(`${L}:`);
      return 'prefix branch_hint';
    }
    case 'lock_xchg': {
      const bits = rng.pick(SIZES);
      const m = b.mem(bits / 8, { write: true });
      if (!m) return false;
      const s = reg(b, bits, { dst: true });
      b.read(s.idx, bits);
      b.emit(`lock xchg ${m.t}, ${s.t}`);
      b.memWrite(m.off, bits / 8);
      wr(b, s);
      return 'lock xchg';
    }
  }
  return false;
}

// ---------------------------------------------------------- registry
export const FAMILIES = {
  alu, shift, shiftd, muldiv, unary, bit: bitops, setcc, cmovcc, bswap, xadd, cmpxchg, cmpxchg8b,
  movx, mov, lea, stack, string: strings, bcd, convert, flags: flagops, xchg, xlat, branch,
  exception, segment, prefix: prefixes,
};

/** Families that may appear in mixed blocks. */
export const MIXABLE = [
  'alu', 'shift', 'shiftd', 'muldiv', 'unary', 'bit', 'setcc', 'cmovcc', 'bswap', 'xadd', 'cmpxchg',
  'cmpxchg8b', 'movx', 'mov', 'lea', 'stack', 'string', 'bcd', 'convert', 'flags', 'xchg', 'xlat', 'branch',
];
