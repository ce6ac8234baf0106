// The decision half of the event loop: which asynchronous event is due now,
// when the next one can be, and whether the machine must wait for the host.
// It reads device state and the clock's scheduler view (peek), and changes
// nothing; Machine delivers what it returns through events.ts deliver().
//
// Rules (docs/platform.md):
//  - timer: when guest time reaches the earliest device deadline;
//  - serial: a byte the host has, once the UART can take one and a
//    character time has passed since the last;
//  - key: a scan code the key input has (key-input.ts), once the i8042 can
//    take it (output buffer empty, keyboard enabled and scanning) and
//    KEY_GAP_NS has passed since the last one;
//  - disk (DESIGN section 9, docs/completion-interrupts.md): at the earliest
//    of the nominal completion time and a safepoint (the guest idles in HLT
//    with IF=1 or polls the status; --io-delivery nominal ignores
//    safepoints); never before the host has finished its part, never while
//    the previous completion's IRQ 14 is in service at the PIC.
// With the virtual clock a completion or byte that is due but not yet there
// from the host makes the machine wait for the host (guest time stands
// still), so the guest sees the same thing every run; a safepoint then is
// an exact instruction, so early delivery stays deterministic too.

import type { GuestClock } from './clock.js';
import { timerEvent, type ByteSource, type EventTargets, type MachineEvent } from './events.js';
import type { PicPair } from '../devices/pic-pair.js';
import { ATA_SPIN_POLLS } from '../devices/ata.js';
import type { KeyInput } from './key-input.js';

const IRQ_TIMER = 0, IRQ_KBD = 1, IRQ_COM1 = 4, IRQ_ATA = 14;
/** Guest time between two key events (a press and its release too): about a fast typist's pace. */
export const KEY_GAP_NS = 10_000_000;

/** When a disk completion may come early: only at its nominal time, or also at a safepoint (the default). */
export type IoDelivery = 'nominal' | 'safepoint';

/** What the scheduler may do with the disk's owed completion now. */
type DiskVerdict = 'deliver' | 'host' | 'later';

export class Scheduler {
  /** Set by nextEvent(): something is due but the host has not delivered it yet (virtual clock: wait for it). */
  blockedOnHost = false;
  /** Set by nextEvent(): a disk completion is due or at a safepoint, and only the host's I/O holds it (either clock). */
  awaitingHost = false;
  /** Guest time of the last key event delivered (the scheduler's own pacing, not guest state). */
  private lastKeyNs = -Infinity;
  /** The PS/2 keyboard's keystrokes from the host, if any. */
  keys: KeyInput | undefined;

  constructor(
    private readonly clock: GuestClock,
    private readonly dev: EventTargets,
    private readonly pic: PicPair,
    private readonly serialIn: ByteSource | undefined,
    private readonly ioDelivery: IoDelivery = 'safepoint',
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
    this.awaitingHost = false;
    const now = this.clock.peek();
    const { uart } = this.dev;
    const disk = this.disk(now, halted);
    if (disk === 'deliver') return { kind: 'disk' };
    if (disk === 'host') {
      this.awaitingHost = true;
      if (this.virtual) this.blockedOnHost = true;
    }
    if (now >= this.timerDeadline()) return timerEvent(now);
    const s = this.serialIn;
    if (s && uart.canReceive() && now >= uart.rxReadyAt()) {
      if (s.available) return this.virtual ? { kind: 'serial', byte: s.next(), t: now } : { kind: 'serial', byte: s.next() };
      if (!s.ended && this.virtual) this.blockedOnHost = true;
    }
    const k = this.keys;
    if (k && this.dev.kbc?.canTakeKey() && now >= this.lastKeyNs + KEY_GAP_NS) {
      const code = k.peek(now);
      if (code >= 0) {
        k.take();
        this.lastKeyNs = now;
        return { kind: 'key', code };
      }
      if (!k.ended && k.readyAt() === Infinity && this.virtual) this.blockedOnHost = true;
    }
    return null;
  }

  /** The completion is still being serviced: its IRQ is in service at the PIC (no EOI yet). */
  private servicing(): boolean {
    return this.pic.inService(IRQ_ATA);
  }

  /** A safepoint for the disk: the guest idles in HLT (IF=1) or has polled the status since the command. */
  private atSafepoint(halted: boolean): boolean {
    return this.ioDelivery === 'safepoint' && (halted || this.dev.ata!.polled);
  }

  /**
   * The disk completion may be delivered now ('deliver'), would be but the
   * host is not done ('host'), or is not due ('later'). While the previous
   * completion is in service it waits for the EOI, with one exception: a
   * handler that spins on the status (ATA_SPIN_POLLS reads) past the nominal
   * time gets it, or a driver that waits inside its handler would hang where
   * real hardware serves it (the PIC still holds the IRQ until the EOI). A
   * driver that reads the status once after its transfer is not waiting.
   */
  private disk(now: number, halted: boolean): DiskVerdict {
    const ata = this.dev.ata;
    if (!ata?.busy) return 'later';
    const nominal = now >= ata.dueNs;
    const due = this.servicing() ? nominal && ata.polls >= ATA_SPIN_POLLS : nominal || this.atSafepoint(halted);
    if (!due) return 'later';
    return ata.hostReady ? 'deliver' : 'host';
  }

  /** Guest time of the earliest event that can happen with what the host has now (Infinity: none). */
  nextDue(halted: boolean): number {
    let t = this.timerDeadline();
    const { uart, ata } = this.dev;
    if (ata?.busy && (this.virtual || ata.hostReady)) {
      if (this.servicing()) {
        // Running: stop at the nominal time, then at each instruction until the EOI (virtual: an exact point).
        // Idle in HLT inside the handler: only something else can end the wait.
        if (!halted) t = Math.min(t, ata.dueNs);
      } else {
        t = Math.min(t, this.atSafepoint(halted) ? 0 : ata.dueNs);
      }
    }
    const s = this.serialIn;
    if (s && uart.canReceive() && (s.available || (this.virtual && !s.ended))) t = Math.min(t, uart.rxReadyAt());
    const k = this.keys;
    if (k && this.dev.kbc?.canTakeKey() && (k.readyAt() !== Infinity || (this.virtual && !k.ended))) {
      t = Math.min(t, Math.max(this.lastKeyNs + KEY_GAP_NS, k.readyAt() === Infinity ? 0 : k.readyAt()));
    }
    return t;
  }

  /** The host still owes something that may lead to an event (a disk read, serial bytes). */
  hostActive(): boolean {
    const ata = this.dev.ata;
    return (ata !== undefined && ata.busy && !ata.hostReady) || (this.serialIn !== undefined && !this.serialIn.ended) || (this.keys !== undefined && !this.keys.ended);
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
    if (ata?.busy && ata.interruptsEnabled() && !this.pic.isMasked(IRQ_ATA) && !this.servicing()) return true;
    const kbc = this.dev.kbc;
    if (this.keys && !this.keys.ended && kbc?.keyInterrupts && !this.pic.isMasked(IRQ_KBD)) return true;
    return false;
  }
}
