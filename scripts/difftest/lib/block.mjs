// The generator's model of one test block.
//
// A block starts from a fully known state (all GPRs, EFLAGS, a 512-byte
// scratch area copied from the pattern pool) and runs a few generated
// instructions. The generator does not simulate the instructions; it only
// tracks what it still knows:
//   - registers: FREE (initial value not chosen yet), KNOWN (value known:
//     the initial value, or one the generator computed), UNK (written by an
//     instruction whose result the generator did not compute);
//   - memory: which scratch bytes still hold their initial pattern;
//   - flags: which arithmetic flags are currently *undefined* per the SDM
//     (U). An instruction that reads a flag in U is never generated, and the
//     final comparison masks the flags still in U.
// Initial register values are chosen lazily, when an instruction first needs
// them, so that memory operands can always be aimed into the scratch area.

export const SCR = 0x8000; // scratch area (linear = physical)
export const SCR_SIZE = 0x200; // 0x000-0x0ff data, 0x100-0x1ff stack
export const KSTACK = 0x7000; // kernel stack for the block prologue
export const SEGBASE = { es: 0, cs: 0, ss: 0, ds: 0, fs: 0x1000, gs: 0xfffff000 };

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;

export const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
export const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
export const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const SIZEKW = { 1: 'byte', 2: 'word', 4: 'dword', 8: 'qword' };

export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

const FREE = 0, KNOWN = 1, UNK = 2;

/** Lowest and highest ESP the stack may reach while a block runs. */
export const STACK_LO = SCR + 0x40;
export const STACK_HI = SCR + SCR_SIZE;

export function rname(idx, bits) {
  return bits === 32 ? R32[idx] : bits === 16 ? R16[idx] : R8[idx];
}

/** The 32-bit register holding operand register idx of the given width. */
export function r32of(idx, bits) {
  return bits === 8 ? idx & 3 : idx;
}

export function hex(v) {
  return '0x' + (v >>> 0).toString(16);
}

/** Signed displacement text: +0x12 / -0x12. */
function disp(v) {
  return v < 0 ? '-0x' + (-v).toString(16) : '+0x' + v.toString(16);
}

export class Block {
  constructor(rng, pool, id, family) {
    this.rng = rng;
    this.id = id;
    this.family = family;
    this.poolOff = rng.int((pool.length - SCR_SIZE) / 4 + 1) * 4;
    this.mem0 = pool.subarray(this.poolOff, this.poolOff + SCR_SIZE);
    this.memW = new Uint8Array(SCR_SIZE);
    this.st = new Array(8).fill(FREE);
    this.val = new Array(8).fill(0);
    const esp = SCR + 0x1c0 - 4 * rng.int(8) - (rng.chance(0.08) ? rng.range(1, 3) : 0);
    this.st[ESP] = KNOWN;
    this.val[ESP] = esp;
    this.init = new Array(8).fill(null); // initial register values (prologue)
    this.init[ESP] = esp;
    this.eflags0 = (0x2 | (rng.u32() & ARITH) | (rng.chance(0.3) ? DF : 0)) >>> 0;
    this.fl = this.eflags0; // current flag values, valid where flagsKnown
    this.flagsKnown = ARITH | DF;
    this.df = (this.eflags0 & DF) !== 0;
    this.U = 0; // flags currently undefined
    this.lines = []; // assembler lines
    this.src = []; // display text, one per tested instruction
    this.forms = []; // form ids, one per tested instruction
    this.rmask = new Array(8).fill(0xffffffff);
    this.mmask = new Map(); // scratch offset -> byte mask of bits to compare
    this.fclear = 0; // EFLAGS bits (beyond undefined arithmetic flags) not to compare
    this.acSet = false; // a POPF in this block may have set AC
    this.ended = false; // nothing may follow (fault certain, undefined register...)
    this.labels = 0;
    this.undo = null;
  }

  // ---- transactional generation: a form that gives up restores the state ----
  snapshot() {
    return {
      st: this.st.slice(), val: this.val.slice(), init: this.init.slice(), memW: this.memW.slice(), fl: this.fl,
      flagsKnown: this.flagsKnown, df: this.df, U: this.U, lines: this.lines.length,
      src: this.src.length, rmask: this.rmask.slice(), mmask: new Map(this.mmask), fclear: this.fclear,
      acSet: this.acSet, ended: this.ended, labels: this.labels,
    };
  }
  restore(s) {
    this.st = s.st; this.val = s.val; this.init = s.init; this.memW = s.memW; this.fl = s.fl;
    this.flagsKnown = s.flagsKnown; this.df = s.df; this.U = s.U;
    this.lines.length = s.lines; this.src.length = s.src; this.rmask = s.rmask; this.mmask = s.mmask; this.fclear = s.fclear; this.acSet = s.acSet;
    this.ended = s.ended; this.labels = s.labels;
  }

  label() {
    return `b${this.id}_l${this.labels++}`;
  }

  /** Emit one assembler line; text is what a failure report shows. */
  emit(asm, text) {
    this.lines.push(asm);
    this.src.push(text ?? asm.trim());
  }
  /** Emit helper lines (labels, setup) that are not shown as a tested insn. */
  asm(line) {
    this.lines.push(line);
  }

  // ---- registers ----
  isFree(r) { return this.st[r] === FREE; }
  isKnown(r) { return this.st[r] === KNOWN; }
  isUnk(r) { return this.st[r] === UNK; }

  assign(r, v) {
    if (this.st[r] !== FREE) throw new Error('assign to non-free register');
    this.st[r] = KNOWN;
    this.val[r] = v >>> 0;
    this.init[r] = v >>> 0;
  }
  /** Known 32-bit value of r (choosing a random one if still free), or null. */
  get(r) {
    if (this.st[r] === FREE) this.assign(r, this.rng.interesting(32));
    return this.st[r] === KNOWN ? this.val[r] : null;
  }
  /** Value of operand register idx of width bits (assigning if free), or null. */
  read(idx, bits) {
    const r = r32of(idx, bits);
    if (this.st[r] === FREE) this.assignPart(idx, bits, this.rng.interesting(bits));
    if (this.st[r] !== KNOWN) return null;
    return partOf(this.val[r], idx, bits);
  }
  /** Assign a free register so that its idx/bits part holds v (rest random). */
  assignPart(idx, bits, v) {
    const r = r32of(idx, bits);
    this.assign(r, withPart(this.rng.u32(), idx, bits, v));
  }
  /** Set the known value of the idx/bits part (the register must be known). */
  setPart(idx, bits, v) {
    const r = r32of(idx, bits);
    if (this.st[r] === FREE) this.assign(r, this.rng.u32());
    if (this.st[r] !== KNOWN) return;
    this.val[r] = withPart(this.val[r], idx, bits, v);
  }
  /** The register is written with a value the generator does not compute. */
  clobber(r) {
    if (r === ESP) throw new Error('esp clobbered');
    if (this.st[r] === FREE) this.assign(r, this.rng.interesting(32));
    this.st[r] = UNK;
  }
  clobberOp(idx, bits) {
    this.clobber(r32of(idx, bits));
  }
  setKnown(r, v) {
    this.st[r] = KNOWN;
    this.val[r] = v >>> 0;
  }

  /**
   * Pick an operand register of the given width. dst: it will be written (so
   * not ESP/SP). not: 32-bit register numbers to avoid.
   */
  pickReg(bits, { dst = false, not = [], deal = null } = {}) {
    const cands = [];
    for (let i = 0; i < 8; i++) {
      const r = r32of(i, bits);
      if (dst && bits !== 8 && i === ESP) continue;
      if (not.includes(r)) continue;
      cands.push(i);
    }
    if (deal) {
      // cycle through all registers (for the opcodes that encode one)
      const d = this.rng.deal(`${deal}/${bits}/${dst}`, [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => !(dst && bits !== 8 && i === ESP)));
      if (cands.includes(d)) return d;
    }
    return this.rng.pick(cands);
  }

  // ---- memory ----
  memKnown(off, n) {
    if (off < 0 || off + n > SCR_SIZE) return false;
    for (let i = 0; i < n; i++) if (this.memW[off + i]) return false;
    return true;
  }
  memVal(off, n) {
    if (!this.memKnown(off, n)) return null;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.mem0[off + i]);
    return n <= 4 ? Number(v) >>> 0 : v;
  }
  memWrite(off, n) {
    for (let i = Math.max(0, off); i < Math.min(SCR_SIZE, off + n); i++) this.memW[i] = 1;
  }

  /** A random offset in the scratch area for an n-byte access. */
  pickOff(n) {
    const hi = this.rng.chance(0.6) ? 0x100 - n : SCR_SIZE - n;
    let off = this.rng.int(hi + 1);
    if (this.rng.chance(0.5)) off &= ~(Math.min(n, 4) - 1);
    return off;
  }

  /**
   * Build a memory operand of n bytes aimed at scratch offset o.off (or a
   * random one), choosing addressing form, segment override and the values
   * of still-free base/index registers. Returns {t, off, seg} or null.
   * Options: write (no CS override), noEsp (no ESP base), no16 (32-bit
   * addressing only), only16, kw (size keyword, '' for none), noSeg,
   * segOverride (address through this segment, prefix emitted by the
   * caller), avoid (registers not to use in the address).
   */
  mem(n, o = {}) {
    for (let attempt = 0; attempt < 30; attempt++) {
      const snap = { st: this.st.slice(), val: this.val.slice(), init: this.init.slice() };
      const off = o.off ?? this.pickOff(n);
      if (off < 0 || off + n > SCR_SIZE) return null;
      let seg = null;
      if (o.segOverride) seg = o.segOverride;
      else if (!o.noSeg && this.rng.chance(0.45)) {
        seg = this.rng.pick(o.write ? ['ds', 'es', 'ss', 'fs', 'gs', 'fs', 'gs'] : ['ds', 'es', 'ss', 'cs', 'fs', 'gs', 'fs', 'gs']);
      }
      const ea = (SCR + off - (seg ? SEGBASE[seg] : 0)) >>> 0;
      const use16 = o.only16 || (!o.no16 && this.rng.chance(0.15));
      const res = use16 ? this.ea16(ea, o) : this.ea32(ea, o);
      if (!res) {
        this.st = snap.st;
        this.val = snap.val;
        this.init = snap.init;
        continue;
      }
      const kw = o.kw ?? SIZEKW[n] ?? '';
      const segp = seg && !o.segOverride ? seg + ':' : ''; // segOverride: the caller emits the prefix
      return { t: `${kw ? kw + ' ' : ''}[${res.force}${segp}${res.expr}]`, off, seg, a16: use16 };
    }
    return null;
  }

  ea32(ea, o) {
    const rng = this.rng;
    const avoid = o.avoid ?? [];
    const ok = (r) => this.st[r] !== UNK && !avoid.includes(r);
    const shape = rng.weighted([
      [8, 'abs'], [18, 'b'], [18, 'b8'], [10, 'b32'], [14, 'bi'], [12, 'bi8'], [8, 'bi32'], [8, 'i32'],
    ]);
    const hasBase = shape !== 'abs' && shape !== 'i32';
    const hasIdx = shape.startsWith('bi') || shape === 'i32';
    let base = -1, idx = -1, scale = 1;
    if (hasBase) {
      const c = [0, 1, 2, 3, 4, 5, 6, 7].filter((r) => ok(r) && !(o.noEsp && r === ESP));
      if (!c.length) return null;
      base = rng.pick(c);
    }
    if (hasIdx) {
      const c = [0, 1, 2, 3, 5, 6, 7].filter(ok);
      if (!c.length) return null;
      idx = rng.pick(c);
      scale = rng.pick([1, 2, 4, 8]);
    }
    let kind = shape === 'abs' || shape === 'i32' || shape.endsWith('32') ? 'd32' : shape.endsWith('8') ? 'd8' : 'none';
    if (kind === 'none' && base === EBP) kind = 'd8z'; // [ebp] is encoded as [ebp+0]
    const terms = [];
    if (base >= 0) terms.push({ r: base, c: 1 });
    if (idx >= 0) {
      const t = terms.find((x) => x.r === idx);
      if (t) t.c += scale;
      else terms.push({ r: idx, c: scale });
    }
    const d = this.solve(terms, kind, ea, 32);
    if (d === null) return null;
    let expr = '';
    let force = '';
    if (base >= 0) expr = R32[base];
    if (idx >= 0) expr += (expr ? '+' : '') + `${R32[idx]}*${scale}`;
    if (shape === 'i32') force = 'nosplit ';
    if (shape === 'abs') expr = hex(d);
    else if (kind === 'd8') { force = 'byte '; expr += disp(d); }
    else if (kind === 'd32') { if (shape !== 'i32') force = 'dword '; expr += disp(d); }
    return { expr, force };
  }

  ea16(ea, o) {
    if (ea > 0xffff) return null;
    const rng = this.rng;
    const avoid = o.avoid ?? [];
    const rm = rng.int(8);
    const mod = rm === 6 && rng.chance(0.3) ? 0 : rng.int(3);
    const regsOf = [[EBX, ESI], [EBX, EDI], [EBP, ESI], [EBP, EDI], [ESI], [EDI], [EBP], [EBX]][rm];
    const regs = rm === 6 && mod === 0 ? [] : regsOf;
    for (const r of regs) if (this.st[r] === UNK || avoid.includes(r)) return null;
    const kind = mod === 0 ? (regs.length ? 'none' : 'd16') : mod === 1 ? 'd8' : 'd16';
    const d = this.solve(regs.map((r) => ({ r, c: 1 })), kind, ea, 16);
    if (d === null) return null;
    let expr = regs.map((r) => R16[r]).join('+');
    let force = '';
    if (kind === 'd8') { force = 'byte '; expr += disp(d); }
    else if (kind === 'd16') {
      force = 'word ';
      expr += regs.length ? '+' + hex(d & 0xffff) : hex(d & 0xffff);
    }
    return { expr, force };
  }

  /**
   * Find a displacement (and values for free registers) so that
   * sum(c * reg) + disp == target (mod 2^bits). Returns the displacement
   * (signed for d8/d32) or null.
   */
  solve(terms, kind, target, bits) {
    const rng = this.rng;
    const M = 1n << BigInt(bits);
    const mask = M - 1n;
    const regMask = bits === 32 ? 0xffffffff : 0xffff;
    let known = 0n;
    const free = [];
    for (const t of terms) {
      if (this.st[t.r] === KNOWN) known += BigInt((this.val[t.r] & regMask) >>> 0) * BigInt(t.c);
      else if (this.st[t.r] === FREE) free.push(t);
      else return null;
    }
    const T = BigInt(target >>> 0);
    const fitD8 = (x) => {
      let s = Number(x & mask);
      if (s >= Number(M) / 2) s -= Number(M);
      return s >= -128 && s <= 127 ? s : null;
    };
    const finish = (x) => {
      x = ((x % M) + M) % M;
      if (kind === 'none') return x === 0n ? 0 : null;
      if (kind === 'd8z') return x === 0n ? 0 : null;
      if (kind === 'd8') return fitD8(x);
      if (bits === 16) return Number(x);
      return Number(BigInt.asIntN(32, x));
    };
    if (!free.length) return finish(T - known);
    let dsp;
    if (kind === 'none' || kind === 'd8z') dsp = 0n;
    else if (kind === 'd8') dsp = BigInt(rng.range(-128, 127));
    else if (bits === 16) dsp = BigInt(rng.int(0x10000));
    else dsp = BigInt(rng.chance(0.5) ? rng.range(-4096, 4096) : rng.u32() | 0);
    // all free registers but one get random values
    free.sort((a, b) => a.c - b.c); // solve for the one with the smallest coefficient
    const last = free[0];
    for (const t of free.slice(1)) {
      const v = t.c > 1 && rng.chance(0.6) ? rng.int(64) : rng.u32();
      this.assign(t.r, v);
      known += BigInt((v & regMask) >>> 0) * BigInt(t.c);
    }
    let X = (((T - known - dsp) % M) + M) % M;
    const c = BigInt(last.c);
    let k = 0n;
    while (((c >> k) & 1n) === 0n) k++;
    const p2 = 1n << k;
    const rem = X % p2;
    if (rem !== 0n) {
      if (kind === 'none' || kind === 'd8z') return null;
      dsp += rem;
      X -= rem;
      if (kind === 'd8' && dsp > 127n) return null;
    }
    const Mk = M >> k;
    const odd = c >> k;
    let v = ((X >> k) * modInverse(odd % Mk, Mk)) % Mk;
    v += BigInt(rng.int(Number(p2))) * Mk;
    v &= mask;
    let full = Number(v);
    if (bits === 16) full = ((rng.u32() & 0xffff0000) | full) >>> 0;
    this.assign(last.r, full);
    return finish(T - known - BigInt(full & regMask) * c) ?? null;
  }

  // ---- flags ----
  /** True if the instruction may read these flags (none is undefined). */
  canRead(mask) {
    return (this.U & mask) === 0;
  }
  /** def: flags given defined values; undef: flags made undefined. */
  flags(def, undef = 0) {
    this.U = ((this.U & ~def) | undef) & ARITH;
    this.flagsKnown &= ~(def | undef);
  }
  /** Flags that may or may not change (e.g. shift by an unknown count). */
  flagsMaybe(touched, undef) {
    this.U |= undef & ARITH;
    this.flagsKnown &= ~touched;
  }

  /**
   * The next instruction may raise an exception. Its frame's EFLAGS image
   * (at ESP-4) may or may not have RF set: real CPUs set RF in the image of
   * a fault, QEMU TCG does not. Ignore that bit.
   */
  mayFault() {
    const off = this.val[ESP] - 4 - SCR + 2; // byte holding bit 16
    if (off >= 0 && off < SCR_SIZE) this.mmask.set(off, (this.mmask.get(off) ?? 0xff) & 0xfe);
    // The host CPU (under KVM) clears EFLAGS.AC when it delivers the
    // exception, QEMU TCG keeps it: ignore AC at the end if it may be set.
    if (this.acSet) this.fclear |= 0x40000;
  }

  /** Make room checks for ESP changes. */
  espCanMove(delta) {
    const e = this.val[ESP] + delta;
    return e >= STACK_LO && e <= STACK_HI;
  }
  esp() {
    return this.val[ESP];
  }
  moveEsp(delta) {
    this.val[ESP] = (this.val[ESP] + delta) >>> 0;
  }

  /** Fill in registers no instruction read. */
  finalize() {
    for (let r = 0; r < 8; r++) if (this.st[r] === FREE) this.assign(r, this.rng.interesting(32));
  }
}

export function partOf(v32, idx, bits) {
  if (bits === 32) return v32 >>> 0;
  if (bits === 16) return v32 & 0xffff;
  return idx < 4 ? v32 & 0xff : (v32 >>> 8) & 0xff;
}

export function withPart(v32, idx, bits, v) {
  if (bits === 32) return v >>> 0;
  if (bits === 16) return ((v32 & 0xffff0000) | (v & 0xffff)) >>> 0;
  if (idx < 4) return ((v32 & 0xffffff00) | (v & 0xff)) >>> 0;
  return ((v32 & 0xffff00ff) | ((v & 0xff) << 8)) >>> 0;
}

function modInverse(a, m) {
  // a odd, m a power of two
  if (m === 1n) return 0n;
  let x = 1n;
  for (let i = 0; i < 6; i++) x = (x * (2n - a * x)) % m;
  return ((x % m) + m) % m;
}
