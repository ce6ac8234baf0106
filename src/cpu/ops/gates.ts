// Call gates: far CALL/JMP through a 286 or 386 call gate, with the
// privilege change and parameter copy of a CALL to a more privileged level.

import type { Cpu } from '../cpu.js';
import { gp } from '../faults.js';
import type { Desc } from '../segments.js';

/** Transfer through the call gate `gate` (selected by `sel`). */
export function callGate(cpu: Cpu, sel: number, _gate: Desc, _call: boolean): void {
  // Not yet implemented.
  gp(cpu, sel & 0xfffc);
}
