// Asynchronous events: the closed list of things that happen to the guest
// between instructions, and the one function that delivers each. Deciding
// *when* an event happens is the scheduler's job (scheduler.ts); a replay
// takes that decision from the log instead and calls deliver() at the
// logged icount. Changing this list changes the log format.

import type { Pit8254 } from '../devices/pit8254.js';
import type { Uart16550 } from '../devices/uart16550.js';
import type { AtaDisk } from '../devices/ata.js';
import type { I8042 } from '../devices/i8042.js';

export type MachineEvent =
  /** Guest time reached `t` (ns): timers whose deadline is at or before it fire (PIT channel 0, UART FIFO timeout). */
  | { kind: 'timer'; t: number }
  /** A byte arrives on COM1's receive line; `t`: the guest time it came at (virtual clock), which a replay brings the clock to. */
  | { kind: 'serial'; byte: number; t?: number }
  /** The ATA drive's owed completion (data ready, sector written, command done); `t`: guest time (virtual clock). */
  | { kind: 'disk'; t?: number }
  /** A key pressed or released on the PS/2 keyboard: its set-1 scan code, bit 7 set for a release (key-input.ts). */
  | { kind: 'key'; code: number; t?: number };

/**
 * A timer event. Every one is made here: `t` holds nanoseconds, which pass
 * 2^30 about a second into a run. V8 keeps a number field as a small integer
 * until a value does not fit, then changes the field's representation for
 * every object of that shape and deoptimizes the code that inlined the
 * delivery: the run loop (seen with --trace-deopt). The first object made
 * here, below, holds a double, so the field is a double from the start.
 */
export function timerEvent(t: number): MachineEvent {
  return { kind: 'timer', t };
}
timerEvent(0.5);

export type EventKind = MachineEvent['kind'];
/** Every event kind, in the order the log codes them (index + 1): a new kind goes at the end, with a format version bump. */
export const EVENT_KINDS = ['timer', 'serial', 'disk', 'key'] as const satisfies readonly EventKind[];

/** The devices events are delivered to. */
export interface EventTargets {
  pit: Pit8254;
  uart: Uart16550;
  ata?: AtaDisk;
  kbc?: I8042;
}

/** Deliver one event, between instructions. The only way asynchronous input reaches a device. */
export function deliver(to: EventTargets, ev: MachineEvent): void {
  switch (ev.kind) {
    case 'timer':
      to.pit.onTimer(ev.t);
      to.uart.onTimer(ev.t);
      return;
    case 'serial':
      to.uart.receive(ev.byte);
      return;
    case 'disk':
      to.ata?.complete();
      return;
    case 'key':
      to.kbc?.key(ev.code);
      return;
  }
}

/** Bytes for COM1's receiver from the host (a file or stdin), handed in by the CLI. */
export interface ByteSource {
  /** Take the next byte if one is available now, else -1. */
  next(): number;
  /** A byte is available now. */
  readonly available: boolean;
  /** No byte will ever come again. */
  readonly ended: boolean;
  /** Register the callback run (from the host event loop) when bytes arrive or the stream ends. */
  onActivity(cb: () => void): void;
}

/**
 * Events whose positions are already decided (a replay log): the machine
 * delivers each when icount reaches its position, instead of asking the
 * scheduler.
 */
export interface ScheduledEvents {
  /** Instruction count of the next event, or Infinity when none is left. */
  nextIcount(): number;
  /** Remove and return the next event (called when icount has reached nextIcount()). */
  take(): MachineEvent;
}
