// The abstract target the gdb stub talks to. A live machine and a replay both
// implement it; the protocol layer never sees a Machine.

import type { DebugPoints, WatchKind } from './points.js';

export type StopReason =
  | { kind: 'step' }
  | { kind: 'breakpoint'; addr: number; hw: boolean }
  | { kind: 'watch'; type: WatchKind; addr: number }
  | { kind: 'interrupted' }
  | { kind: 'replaylog'; end: 'begin' | 'end' }
  /** The guest ended: isa-debug-exit status byte, or 0 for a halt. */
  | { kind: 'exited'; status: number }
  /** The machine cannot go on (triple fault, divergence): gdb sees a signal; `message` goes to its console. */
  | { kind: 'fault'; signal: number; message: string };

export interface ResumeControl {
  points: DebugPoints;
  /** Aborted by Ctrl-C (0x03) from gdb: stop as soon as possible, reason 'interrupted'. */
  signal: AbortSignal;
}

export interface DebugTarget {
  /** Register `n` (registers.ts numbering) as little-endian bytes of its size, or undefined if unknown. */
  readRegister(n: number): Uint8Array | undefined;
  /** False when the register cannot be written (x87 without an FPU, a replay). */
  writeRegister(n: number, bytes: Uint8Array): boolean;
  /** Reads linear memory through the guest's current paging with no side effects; undefined where unmapped. */
  readMemory(addr: number, len: number): Uint8Array | undefined;
  writeMemory(addr: number, data: Uint8Array): boolean;
  /** Execute one instruction (watchpoints are checked; breakpoints are not). */
  step(ctl: ResumeControl): Promise<StopReason>;
  /** Run until a breakpoint or watchpoint, the guest's end, or Ctrl-C. */
  resume(ctl: ResumeControl): Promise<StopReason>;
  /** Reverse execution (replays only; absent: gdb is told the packet is unsupported). */
  reverseStep?(ctl: ResumeControl): Promise<StopReason>;
  reverseResume?(ctl: ResumeControl): Promise<StopReason>;
  /** `monitor CMD`: the text to print, or undefined for an unknown command. */
  monitor(cmd: string): Promise<string | undefined>;
  /** The debugger changed its breakpoints or watchpoints (install or remove the CPU hook). */
  pointsChanged(points: DebugPoints): void;
}
