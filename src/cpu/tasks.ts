// Hardware task switches (TSS-based), through task gates, JMP/CALL to a TSS
// descriptor, and IRET with NT set.

import type { Cpu } from './cpu.js';
import { gp } from './faults.js';

/** Why the switch happens: decides busy bits, NT and the back link. */
export const TASK_JMP = 0, TASK_CALL = 1, TASK_IRET = 2, TASK_INT = 3;

/**
 * Switch to the task named by `sel` (a TSS descriptor or a task gate's target).
 * `code` is an error code to push on the new task's stack (-1 for none).
 */
export function taskSwitch(cpu: Cpu, sel: number, _reason: number, _code: number, ext: number): void {
  // Not yet implemented: refuse the switch as a #GP on the selector.
  gp(cpu, (sel & 0xfffc) + ext);
}
