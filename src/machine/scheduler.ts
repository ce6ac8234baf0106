// The decision half of the event loop: which asynchronous event is due now,
// when the next one can be, and whether the machine must wait for the host.
// It reads device state and the clock's scheduler view (peek), and changes
// nothing; Machine delivers what it returns through events.ts deliver().
//
// Rules (docs/platform.md):
//  - timer: when guest time reaches the earliest device deadline;
//  - serial: a byte the host has, once the UART can take one and a
//    character time has passed since the last;
//  - disk: at the nominal completion time, or (host clock only) earlier at
//    a safepoint: the guest idles in HLT or polls the status; never before
//    the host has finished its part. With the virtual clock a completion or
//    byte that is due but not yet there from the host makes the machine
//    wait for the host, so the guest sees the same thing every run.

import type { GuestClock } from './clock.js';
import type { ByteSource, EventTargets, MachineEvent } from './events.js';
import type { PicPair } from '../devices/pic-pair.js';

const IRQ_TIMER = 0, IRQ_COM1 = 4, IRQ_ATA = 14;

export class Scheduler {
  /** Set by nextEvent(): something is due but the host has not delivered it yet (virtual clock: wait for it). */
  blockedOnHost = false;

  constructor(
    private readonly clock: GuestClock,
    private readonly dev: EventTargets,
    private readonly pic: PicPair,
    private readonly serialIn: ByteSource | undefined,
  ) {}

  private get virtual(): boolean {
    return this.clock.mode === 'virtual';
  }

  private timerDeadline(): number {
    return Math.min(this.dev.pit.nextDeadline(), this.dev.uart.nextDeadline());
  }

  /** The event to deliver at this point, or null. `halted`: the CPU idles in HLT (a safepoint). */
  nextEvent(halted: boolean): MachineEvent | null {
    this.blockedOnHost = false;
    const now = this.clock.peek();
    const { uart, ata } = this.dev;
    if (ata?.busy) {
      const due = now >= ata.dueNs || (!this.virtual && (halted || ata.polled));
      if (due) {
        if (ata.hostReady) return { kind: 'disk' };
        if (now >= ata.dueNs && this.virtual) this.blockedOnHost = true;
      }
    }
    if (now >= this.timerDeadline()) return { kind: 'timer', t: now };
    const s = this.serialIn;
    if (s && uart.canReceive() && now >= uart.rxReadyAt()) {
      if (s.available) return { kind: 'serial', byte: s.next() };
      if (!s.ended && this.virtual) this.blockedOnHost = true;
    }
    return null;
  }

  /** Guest time of the earliest event that can happen with what the host has now (Infinity: none). */
  nextDue(halted: boolean): number {
    let t = this.timerDeadline();
    const { uart, ata } = this.dev;
    if (ata?.busy) {
      if (this.virtual || ata.hostReady) t = Math.min(t, !this.virtual && halted ? 0 : ata.dueNs);
    }
    const s = this.serialIn;
    if (s && uart.canReceive() && (s.available || (this.virtual && !s.ended))) t = Math.min(t, uart.rxReadyAt());
    return t;
  }

  /** The host still owes something that may lead to an event (a disk read, serial bytes). */
  hostActive(): boolean {
    const ata = this.dev.ata;
    return (ata !== undefined && ata.busy && !ata.hostReady) || (this.serialIn !== undefined && !this.serialIn.ended);
  }

  /** Some future event could interrupt a CPU halted with IF=1 (its IRQ is enabled at the device and the PIC). */
  canWake(): boolean {
    const { pit, uart, ata } = this.dev;
    if (pit.nextDeadline() !== Infinity && !this.pic.isMasked(IRQ_TIMER)) return true;
    if (uart.rxInterruptEnabled() && !this.pic.isMasked(IRQ_COM1)) {
      if (uart.nextDeadline() !== Infinity) return true;
      const s = this.serialIn;
      if (s && (s.available || !s.ended)) return true;
    }
    if (ata?.busy && ata.interruptsEnabled() && !this.pic.isMasked(IRQ_ATA)) return true;
    return false;
  }
}
