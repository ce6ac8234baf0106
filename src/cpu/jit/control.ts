// Inline code for the near control transfers that end a block: Jcc, JMP,
// CALL rel, RET (imm), LOOP. Each sets the local `eip` to the next EIP;
// the compiler's block tail then continues in the region (the `switch` on
// the page offset) or leaves it. A target beyond the CS limit raises #GP at
// the branch, as jumpNear does.

import { type Ctx, cond, vbits } from './ctx.js';
import { pop, setSP, stackOff, push } from './emit.js';
import { regGet, regSet } from './operands.js';

/** Relative target of the branch, as an expression (wrapped to the operand size). */
function target(c: Ctx): string {
  const d = c.next + c.i.imm;
  return c.i.o32 ? `((base + ${d}) >>> 0)` : `((base + ${d}) & 0xffff)`;
}

const jumpTo = (c: Ctx): string => `{ const t = ${target(c)}; if (t > lim) gp(cpu, 0); eip = t; }`;

/** Page offsets the branch may continue at (for region discovery), or null if it is not inlined. */
export function branchTargets(c: { i: { op: number; imm: number; o32: boolean }; next: number }): number[] | null {
  const op = c.i.op;
  const t = c.next + c.i.imm;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || op === 0xe2) return [t, c.next];
  if (op === 0xeb || op === 0xe9) return [t];
  if (op === 0xe8) return [t, c.next];
  if (op === 0xc3 || op === 0xc2) return [];
  return null;
}

/** Inline code for an inlined branch, or null (the compiler calls its handler). */
export function emitBranch(c: Ctx): string | null {
  const i = c.i, op = i.op, v = vbits(i);
  const fall = `eip = base + ${c.next};`;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
    const x = cond(c, op & 15);
    return `${x.pre} if (${x.e}) ${jumpTo(c)} else ${fall}`;
  }
  switch (op) {
    case 0xeb: case 0xe9: return jumpTo(c);
    case 0xe8:
      return `{ const t = ${target(c)}; if (t > lim) gp(cpu, 0); ${push(c, v, `base + ${c.next}`)} eip = t; }`;
    case 0xc3: case 0xc2: {
      const t = v === 32 ? 'e >>> 0' : 'e';
      const adj = op === 0xc2 ? setSP(c, `${stackOff(c, 0)} + ${i.imm}`) : '';
      // pop() moves ESP; on #GP put it back as the handler does.
      return `{ const sp0 = r4; ${pop(c, v, 'e')} const t = ${t}; if (t > lim) { r4 = sp0; gp(cpu, 0); } ${adj} eip = t; }`;
    }
    case 0xe2: {
      if (i.a32) return `{ ${regSet(c, 32, 1, 'r1 - 1')} if (r1 !== 0) ${jumpTo(c)} else ${fall} }`;
      return `{ const n = (${regGet(c, 16, 1)} - 1) & 0xffff; ${regSet(c, 16, 1, 'n')} if (n !== 0) ${jumpTo(c)} else ${fall} }`;
    }
    default: return null;
  }
}
