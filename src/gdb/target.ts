// The abstract target the gdb stub talks to. A live machine and a replay both
// implement it; the protocol layer never sees a Machine.

export type StopReason =
  | { kind: 'step' }
  | { kind: 'breakpoint'; addr: number }
  | { kind: 'interrupted' }
  | { kind: 'replaylog'; end: 'begin' | 'end' }
  | { kind: 'exited'; status: number };

/** Register numbers as target.xml lists them: eax..edi, eip, eflags, cs ss ds es fs gs, cr0 cr2 cr3 cr4. */
export const REGISTER_COUNT = 20;

export interface DebugTarget {
  readRegister(n: number): number;
  writeRegister(n: number, value: number): void;
  /** Reads through the guest's current paging with no side effects; undefined where unmapped. */
  readMemory(addr: number, len: number): Uint8Array | undefined;
  writeMemory(addr: number, data: Uint8Array): boolean;
  step(): StopReason;
  /** Runs until a breakpoint in `breakpoints`, or until shouldStop() says so. */
  resume(breakpoints: ReadonlySet<number>, shouldStop: () => boolean): StopReason;
}
