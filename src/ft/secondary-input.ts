// What the FT secondary's machine is built with: an input source and an
// event schedule that stand in front of the replay of the current round
// (rebuilt from the link at every sync point and after every resync), so the
// machine itself is built once. With --loose, the chosen sources still
// consume the primary's entries (so a replay that executes them elsewhere is
// still caught) but hand the guest the secondary's own host values.

import type { MachineInput } from '../machine/machine.js';
import { timerEvent, type MachineEvent, type ScheduledEvents } from '../machine/events.js';
import { HostInputSource } from '../replay/input-source.js';
import type { ReplayingInput } from '../replay/session-inputs.js';
import type { EventQueue } from '../replay/replayer.js';
import type { LooseSource } from './inject.js';

export class SecondaryInput implements MachineInput {
  current: ReplayingInput | null = null;
  private readonly own: HostInputSource | null;
  private readonly loose: ReadonlySet<LooseSource>;
  private lastClock = 0;

  /** With the virtual clock, guest time and the TSC come from the icount: there is no host value to loosen. */
  constructor(loose: readonly LooseSource[], mhz: number, private readonly wallMs: number, clock: 'host' | 'virtual') {
    this.loose = new Set(clock === 'virtual' ? loose.filter((s) => s === 'rdrand') : loose);
    this.own = this.loose.size > 0 ? new HostInputSource(mhz) : null;
  }

  private get replay(): ReplayingInput {
    if (!this.current) throw new Error('ft: the secondary ran without a replay round');
    return this.current;
  }

  isLoose(s: LooseSource): boolean {
    return this.loose.has(s);
  }

  rdtsc(): number {
    const v = this.replay.rdtsc();
    return this.loose.has('rdtsc') ? this.own!.rdtsc() : v;
  }

  /** RDRAND/RDSEED values taken so far (a failover's live source skips as many of a seeded generator's). */
  rdrands = 0;

  rdrand(bits: number, seed: boolean): number {
    const v = this.replay.rdrand(bits, seed);
    this.rdrands++;
    return this.loose.has('rdrand') ? this.own!.rdrand(bits, seed) : v;
  }

  clockNs(): number {
    const v = this.replay.clockNs();
    this.lastClock = this.loose.has('timer') ? this.own!.clockNs() : v;
    return this.lastClock;
  }

  peekClockNs(): number {
    return this.lastClock;
  }

  wallClockMs(): number {
    return this.wallMs;
  }

  /** The secondary's own guest time now, for loose timer events. */
  ownClockNs(): number {
    return this.own!.clockNs();
  }
}

export class SecondaryEvents implements ScheduledEvents {
  current: EventQueue | null = null;

  constructor(private readonly input: SecondaryInput) {}

  nextIcount(): number {
    return this.current ? this.current.nextIcount() : Infinity;
  }

  take(): MachineEvent {
    const ev = this.current!.take();
    // Loose timer: the tick arrives where the primary's did, bringing the timers to the secondary's own time.
    if (ev.kind === 'timer' && this.input.isLoose('timer')) return timerEvent(this.input.ownClockNs());
    return ev;
  }
}
