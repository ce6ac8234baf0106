// The FT secondary: the same image, built from the header the primary sent
// down the link, replaying the primary's frames one round at a time. Each
// round is a fresh Replayer, moved by the one replay stepper (ReplayCursor,
// as `replay` and `diff` use it), over the frames after the last sync point the
// secondary reached, so after a resync (which jumps the secondary to the
// primary's state at a sync point) nothing from before it is left in the ND
// buffer or the event queue. Register and memory faults are applied at
// their exact icounts.

import type { Machine, StopInfo } from '../machine/machine.js';
import { CS } from '../cpu/cpu.js';
import { buildMachine } from '../machine/config.js';
import { MemoryDisk } from '../devices/disk-backend.js';
import { CheckpointTracker } from '../machine/snapshot.js';
import { StateHasher } from '../machine/state-hash.js';
import { NdDivergence, type NdPosition } from '../replay/nd-buffer.js';
import { ndKindName } from '../replay/nd-block.js';
import { Replayer, type ControlPoint } from '../replay/replayer.js';
import { ReplayCursor, type ReplayResult } from '../replay/replay-cursor.js';
import type { LogHeader } from '../replay/log-format.js';
import type { FrameLink, LinkCursor } from '../replay/frame-link.js';
import type { Injection, InjectionOutcome, LooseSource } from './inject.js';
import { OutputLog, debugconChannel } from './outputs.js';
import { DiskTap } from './disk-tap.js';
import { ScreenTap } from './screen-channel.js';
import { SecondaryEvents, SecondaryInput } from './secondary-input.js';
import type { GuestSetup } from './primary.js';
import type { DropFilter } from './drop-filter.js';

function where(p: NdPosition | null): string {
  return p ? `${ndKindName(p.kind)} at icount ${p.icount}` : 'none';
}

type RoundPoint = Extract<ControlPoint, { kind: 'sync' | 'end' }>;
type Flip = Extract<Injection, { kind: 'reg' | 'mem' }>;
const REG_INDEX: Record<string, number> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };

/** How a round ended for the secondary. */
export type RoundResult =
  /** Reached the sync point or the end the primary logged. */
  | { kind: 'reached'; point: Extract<ControlPoint, { kind: 'sync' | 'end' }>; stop: StopInfo }
  /** The guest stopped (exit, halt, triple fault) before the primary's point. */
  | { kind: 'stopped'; point: Extract<ControlPoint, { kind: 'sync' | 'end' }>; stop: StopInfo }
  /** The replay's own checks failed: an ND value or event taken elsewhere than the primary did. */
  | { kind: 'input'; point: Extract<ControlPoint, { kind: 'sync' | 'end' }>; message: string; expected: string; actual: string }
  /** The emulator threw (a state no guest could reach, made by a fault): it cannot run until a resync. */
  | { kind: 'failed'; point: Extract<ControlPoint, { kind: 'sync' | 'end' }>; message: string }
  /** Still stopped from an earlier round: nothing was run. */
  | { kind: 'idle'; point: Extract<ControlPoint, { kind: 'sync' | 'end' }> };

export interface SecondaryOptions {
  header: LogHeader;
  setup: GuestSetup;
  link: FrameLink;
  loose: readonly LooseSource[];
  flips: readonly Flip[];
  drops: DropFilter;
  /** The disk image's bytes when the primary has a disk. */
  diskBytes?: Uint8Array;
}

export class Secondary {
  readonly machine: Machine;
  readonly out: OutputLog;
  readonly disk?: DiskTap;
  readonly tracker: CheckpointTracker;
  readonly hasher: StateHasher;
  /** The VGA text screen, sampled where the primary sampled its own (the 'screen' channel). */
  readonly screen: ScreenTap;
  private readonly input: SecondaryInput;
  private readonly events: SecondaryEvents;
  private readonly link: FrameLink;
  private readonly header: LogHeader;
  private readonly drops: DropFilter;
  private cursor: ReplayCursor | null = null;
  /** The signal of the round being run (the cursor reads it at each run). */
  private signal: AbortSignal | undefined;
  private ndCursor: LinkCursor | null = null;
  /** The frame index the current round started at. */
  roundStart = 0;
  /** Set when the guest stopped before the primary's point; cleared by a resync. */
  stopped: StopInfo | null = null;
  /** Set when the emulator threw in the secondary; cleared by a resync. */
  failed: string | null = null;
  /** Instructions actually run (a resync moves icount without running). */
  executed = 0;
  private readonly flips: { flip: Flip; applied: boolean; icount: number | null; skipped: boolean }[];

  constructor(opts: SecondaryOptions) {
    this.header = opts.header;
    this.link = opts.link;
    this.drops = opts.drops;
    const wall = opts.header.machine.wallClockMs;
    const s = opts.setup;
    this.input = new SecondaryInput(opts.loose, s.config.mhz, typeof wall === 'number' ? wall : 0, s.config.clock);
    this.events = new SecondaryEvents(this.input);
    let m: Machine | null = null;
    this.out = new OutputLog(() => ({ icount: m!.cpu.icount, eip: m!.cpu.prevEip }));
    if (opts.diskBytes) this.disk = new DiskTap(new MemoryDisk(opts.diskBytes), () => m!.cpu.icount);
    // The secondary's scheduler is never consulted (events come from the link), so the delivery mode is moot.
    m = buildMachine(s.config, this.input, {
      serial: this.out.sink('serial'),
      debugcon: (port) => this.out.sink(debugconChannel(port)),
      disk: this.disk,
      vgaRom: s.vgaRom,
      events: this.events,
    });
    this.machine = m;
    this.flips = [...opts.flips].sort((a, b) => a.icount - b.icount).map((flip) => ({ flip, applied: false, icount: null, skipped: false }));
    // Loading reads the clock (the firmware programs the PIT): the primary's values are already on the link.
    this.beginRound(1);
    m.load(s.plan);
    this.tracker = new CheckpointTracker(m);
    this.hasher = new StateHasher(m);
    this.screen = new ScreenTap(m, this.out.sink('screen'));
  }

  get icount(): number {
    return this.machine.cpu.icount;
  }

  /** RDRAND/RDSEED values the guest has taken. */
  get rdrands(): number {
    return this.input.rdrands;
  }

  /** Start replaying the frames from link frame `from` (the one after the last sync point reached). */
  beginRound(from: number): void {
    this.cursor?.rp.close();
    const main = this.link.cursor(from);
    const nd = this.link.cursor(from);
    if (!this.drops.empty) {
      main.filter = this.drops.filter;
      nd.filter = this.drops.filter;
    }
    const rp = new Replayer('(ft link)', { header: this.header, main, nd });
    rp.attach(this.machine.cpu);
    this.input.current = rp.input;
    this.events.current = rp.events;
    // The one replay stepper (it installs the ND buffer's exit); the judge, not the cursor, hashes and compares.
    const self = this;
    this.cursor = new ReplayCursor(this.machine, rp, {
      verify: false,
      positionHash: false,
      hash: () => self.hasher.hashBytes(),
      get signal() {
        return self.signal;
      },
    });
    this.ndCursor = nd;
    this.roundStart = from;
  }

  /** Run to the primary's next sync point or end, as the link says; returns how far it got. */
  async runRound(signal?: AbortSignal): Promise<RoundResult> {
    const cur = this.cursor!;
    const p = cur.peek();
    if (p.kind !== 'sync' && p.kind !== 'end') throw new Error(`ft: the secondary found ${p.kind === 'cut' ? 'no sync point' : 'a checkpoint'} on the link`);
    if (this.stopped || this.failed !== null) return { kind: 'idle', point: p };
    const before = this.icount;
    try {
      return await this.play(cur, p, signal);
    } catch (e) {
      // The emulator gave up on a state a fault made (a crashed secondary): a divergence like any other.
      this.failed = String((e as Error)?.message ?? e);
      return { kind: 'failed', point: p, message: this.failed };
    } finally {
      this.executed += this.icount - before;
    }
  }

  /**
   * Move the replay cursor to the point, stopping on the way at every fault's
   * icount to apply it. The cursor checks what the log fixes (events and ND
   * values taken where the primary took them); the primary's judge compares
   * the rest (EIP, state hash, how the guest ended), so the cursor's own
   * position checks only tell this round where the secondary stopped.
   */
  private async play(cur: ReplayCursor, p: RoundPoint, signal?: AbortSignal): Promise<RoundResult> {
    const target = p.frame.icount;
    this.signal = signal;
    for (;;) {
      const next = this.flips.find((f) => !f.applied && !f.skipped && f.flip.icount >= this.icount && f.flip.icount < target);
      const at = next ? next.flip.icount : target;
      const r = await cur.advance(next || p.kind === 'sync' ? at : undefined);
      const bad = this.settle(cur, r, p, at);
      if (bad) return bad;
      for (const f of this.flips) if (!f.applied && !f.skipped && f.flip.icount === this.icount) this.apply(f);
      if (next) continue;
      const left = p.kind === 'sync' ? this.leftover(p.index, target) : this.leftover(Infinity, Infinity);
      if (left) return { kind: 'input', point: p, ...left };
      this.screen.sample();
      return { kind: 'reached', point: p, stop: cur.stop ?? this.here() };
    }
  }

  /** The machine's position as a stop (a round that ran nothing). */
  private here(): StopInfo {
    const c = this.machine.cpu;
    return { reason: 'limit', icount: c.icount, eip: c.eip >>> 0, cs: c.sreg[CS] };
  }

  /** A round's result when the cursor did not reach `at` as the primary did, else null. */
  private settle(cur: ReplayCursor, r: ReplayResult, p: RoundPoint, at: number): RoundResult | null {
    const d = r.divergence;
    if (r.verdict === 'divergence' && d && (d.during === 'nd' || d.during === 'event')) {
      return { kind: 'input', point: p, message: d.message, expected: d.expected, actual: d.actual };
    }
    const stop = cur.stop;
    if (!stop || stop.icount !== this.icount) return null; // already there: nothing ran
    const early = at < p.frame.icount || p.kind === 'sync';
    if (stop.icount !== at || (early && stop.reason !== 'limit')) {
      this.stopped = stop;
      return { kind: 'stopped', point: p, stop };
    }
    return null;
  }

  private apply(f: (typeof this.flips)[number]): void {
    const c = this.machine.cpu;
    const inj = f.flip;
    if (inj.kind === 'reg') {
      if (inj.reg === 'eip') c.eip = (c.eip ^ inj.mask) >>> 0;
      else if (inj.reg === 'eflags') c.setEflags(c.getEflags() ^ inj.mask);
      else c.regs[REG_INDEX[inj.reg]] ^= inj.mask;
    } else if (inj.addr < this.machine.mem.size) {
      this.machine.mem.ram[inj.addr] ^= inj.mask;
      c.notePhysWrite(inj.addr, 1);
    }
    f.applied = true;
    f.icount = c.icount;
  }

  /** Entries or events before the sync point that the secondary did not take: it went another way. */
  private leftover(syncIndex: number, icount: number): { message: string; expected: string; actual: string } | null {
    const rp = this.cursor!.rp;
    if (rp.events.pendingCount > 0) {
      const n = rp.events.pendingCount;
      return { message: `${n} event(s) logged before the primary's point were not delivered`, expected: `${n} more event(s)`, actual: 'none' };
    }
    try {
      // Whether the next block has arrived yet depends on host timing: only entries before the point count.
      rp.input.nd.finish(icount);
    } catch (e) {
      if (e instanceof NdDivergence) return { message: e.message, expected: where(e.expected), actual: where(e.actual) };
      throw e;
    }
    const cur = this.ndCursor!;
    for (let f = cur.position < syncIndex ? cur.next() : null; f; f = cur.position < syncIndex ? cur.next() : null) {
      if (f.frame.kind === 'nd' && f.frame.count > 0) {
        return { message: `an ND block of ${f.frame.count} value(s) logged before the primary's point was not consumed`, expected: `${f.frame.count} more value(s)`, actual: 'none' };
      }
    }
    return null;
  }

  /** After a resync at icount `at`: faults before it will never be reached. */
  resynced(at: number): void {
    this.screen.rebase();
    this.stopped = null;
    this.failed = null;
    for (const f of this.flips) if (!f.applied && f.flip.icount < at) f.skipped = true;
  }

  outcomes(): InjectionOutcome[] {
    return this.flips.map((f) => ({ spec: f.flip.spec, applied: f.applied, icount: f.icount }));
  }
}
