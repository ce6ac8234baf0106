// EFLAGS bits and lazy evaluation of the arithmetic flags.
//
// The hot arithmetic ops (add, adc, sub, sbb, cmp, logic, inc, dec, neg) do
// not compute flags: they leave their operands, result, size and kind in the
// CPU, and a flag is derived only when something reads it. `cpu.lazy` holds
// the mask of flags that are pending; the other bits of `cpu.flags` are
// authoritative.

export const CF = 0x0001;
export const PF = 0x0004;
export const AF = 0x0010;
export const ZF = 0x0040;
export const SF = 0x0080;
export const TF = 0x0100;
export const IF = 0x0200;
export const DF = 0x0400;
export const OF = 0x0800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const VIF = 0x80000;
export const VIP = 0x100000;
export const ID = 0x200000;

export const ARITH = CF | PF | AF | ZF | SF | OF;

// Lazy operation kinds.
export const L_ADD = 0;
export const L_ADC = 1; // add with carry-in 1
export const L_SUB = 2;
export const L_SBB = 3; // subtract with borrow-in 1
export const L_LOGIC = 4;
export const L_INC = 5;
export const L_DEC = 6;

/** The fields of the CPU that lazy flags read. */
export interface LazyState {
  flags: number;
  lazy: number;
  lop: number;
  ldst: number;
  lsrc: number;
  lres: number;
  lbits: number;
}

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p ? PF : 0;
}
export const parityOf = (v: number): number => PARITY[v & 0xff];

export function maskOf(bits: number): number {
  return bits === 32 ? -1 : (1 << bits) - 1;
}

export function lazyCF(s: LazyState): number {
  const m = maskOf(s.lbits);
  const d = (s.ldst & m) >>> 0;
  const r = (s.lres & m) >>> 0;
  switch (s.lop) {
    case L_ADD: return r < d ? 1 : 0;
    case L_ADC: return r <= d ? 1 : 0;
    case L_SUB: return d < ((s.lsrc & m) >>> 0) ? 1 : 0;
    case L_SBB: return d <= ((s.lsrc & m) >>> 0) ? 1 : 0;
    default: return 0; // logic; inc/dec never leave CF lazy
  }
}

export function lazyOF(s: LazyState): number {
  const sh = s.lbits - 1;
  const d = s.ldst, r = s.lres, x = s.lsrc;
  switch (s.lop) {
    case L_ADD: case L_ADC: case L_INC:
      return (((d ^ r) & (x ^ r)) >>> sh) & 1 ? OF : 0;
    case L_SUB: case L_SBB: case L_DEC:
      return (((d ^ x) & (d ^ r)) >>> sh) & 1 ? OF : 0;
    default: return 0;
  }
}

/** Compute the pending flags and merge them into `flags`; clears `lazy`. */
export function materialize(s: LazyState): number {
  const lz = s.lazy;
  if (lz === 0) return s.flags;
  const m = maskOf(s.lbits);
  const r = s.lres & m;
  let f = s.flags & ~lz;
  if (lz & CF) f |= lazyCF(s);
  if (lz & PF) f |= PARITY[r & 0xff];
  if (lz & AF) f |= s.lop === L_LOGIC ? 0 : (s.ldst ^ s.lsrc ^ s.lres) & AF;
  if (lz & ZF) f |= r === 0 ? ZF : 0;
  if (lz & SF) f |= (r >>> (s.lbits - 1)) & 1 ? SF : 0;
  if (lz & OF) f |= lazyOF(s);
  s.flags = f;
  s.lazy = 0;
  return f;
}

export function getCF(s: LazyState): number {
  return s.lazy & CF ? lazyCF(s) : s.flags & CF;
}

export function getZF(s: LazyState): boolean {
  return s.lazy & ZF ? (s.lres & maskOf(s.lbits)) === 0 : (s.flags & ZF) !== 0;
}

export function getSF(s: LazyState): boolean {
  return s.lazy & SF ? ((s.lres >>> (s.lbits - 1)) & 1) === 1 : (s.flags & SF) !== 0;
}

export function getOF(s: LazyState): boolean {
  return s.lazy & OF ? lazyOF(s) !== 0 : (s.flags & OF) !== 0;
}

export function getPF(s: LazyState): boolean {
  return s.lazy & PF ? PARITY[s.lres & 0xff] !== 0 : (s.flags & PF) !== 0;
}

/** Evaluate condition code cc (0-15, the low nibble of Jcc/SETcc/CMOVcc). */
export function testCC(s: LazyState, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(s); break;
    case 1: r = getCF(s) !== 0; break;
    case 2: r = getZF(s); break;
    case 3: r = getCF(s) !== 0 || getZF(s); break;
    case 4: r = getSF(s); break;
    case 5: r = getPF(s); break;
    case 6: r = getSF(s) !== getOF(s); break;
    default: r = getZF(s) || getSF(s) !== getOF(s); break;
  }
  return (cc & 1) ? !r : r;
}
