// The replaying side of a session. Two readers walk the same log: one feeds
// the ND buffer its blocks as the CPU consumes them, the other walks every
// other frame in order, queueing events for the machine and handing the
// session its control points (sync points, checkpoints, the end). A sync
// frame follows every event and ND entry logged before its icount, so
// running to its icount with the events queued so far reproduces the
// recorded state there.

import type { ScheduledEvents, MachineEvent } from '../machine/events.js';
import type { CheckpointFrame, EndFrame, Frame, LogEvent, SyncFrame } from './frames.js';
import { LogReader } from './log-reader.js';
import type { LogHeader } from './log-format.js';
import { ReplayingInput, type CpuHandle } from './session-inputs.js';
import { machineEventOf } from './recorder.js';
import { hex32 } from './hex.js';
import { cutReplayableTo } from './log-summary.js';
import type { NdSourceCursor } from './nd-source.js';
import { OutputLedger } from './output-ledger.js';

/** The replay does not do what the log says the recording did. */
export class ReplayDivergence extends Error {
  override name = 'ReplayDivergence';
  constructor(
    message: string,
    readonly icount: number,
    readonly eip: number,
    /** What the replay was processing: 'sync', 'event', 'nd', 'end'. */
    readonly during: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(message);
  }
}

export type ControlPoint =
  /** `resume`: where reading continues after this frame (a clean place to resume from a snapshot taken here). */
  | { kind: 'sync'; frame: SyncFrame; index: number; offset: number; resume: { offset: number; index: number } }
  | { kind: 'checkpoint'; frame: CheckpointFrame; index: number; offset: number }
  | { kind: 'end'; frame: EndFrame }
  /** The log stops without an end frame; `safeIcount` is as far as it can be replayed. */
  | { kind: 'cut'; message: string; safeIcount: number };

/** Events read from the log, delivered by the machine at their icounts, with their EIP checked. */
export class EventQueue implements ScheduledEvents {
  private items: LogEvent[] = [];
  private head = 0;
  cpu: CpuHandle & { eip: number } | null = null;
  delivered = 0;
  /** The event being delivered, for divergence reports. */
  last: LogEvent | null = null;

  push(events: readonly LogEvent[]): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    for (const e of events) this.items.push(e);
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  nextIcount(): number {
    return this.head < this.items.length ? this.items[this.head].icount : Infinity;
  }

  take(): MachineEvent {
    const e = this.items[this.head++];
    this.last = e;
    this.delivered++;
    const cpu = this.cpu;
    if (cpu && (cpu.eip >>> 0) !== e.eip) {
      throw new ReplayDivergence(
        `${e.kind} event #${this.delivered} is due at icount ${e.icount} with EIP ${hex32(e.eip)}, but the replay is at EIP ${hex32(cpu.eip)}`,
        e.icount, cpu.eip >>> 0, 'event', hex32(e.eip), hex32(cpu.eip),
      );
    }
    return machineEventOf(e);
  }

  get pendingCount(): number {
    return this.items.length - this.head;
  }

  /** The events still to deliver and the counters (a replay cursor; events are never changed once read). */
  save(): { items: LogEvent[]; delivered: number; last: LogEvent | null } {
    return { items: this.items.slice(this.head), delivered: this.delivered, last: this.last };
  }

  restore(c: { items: LogEvent[]; delivered: number; last: LogEvent | null }): void {
    this.items = c.items.slice();
    this.head = 0;
    this.delivered = c.delivered;
    this.last = c.last;
  }
}

/**
 * Everything a Replayer has read and not yet used: the two cursors' places,
 * the queued events, the ND buffer. With a machine snapshot taken at the same
 * icount it is an in-memory checkpoint of the replay (src/gdb/replay-engine.ts).
 */
export interface ReadingState {
  main: { offset: number; index: number };
  nd: { offset: number; index: number };
  events: ReturnType<EventQueue['save']>;
  ndSource: NdSourceCursor;
  lastClockNs: number;
  lastSync: number;
  lastEventsAt: number;
  lastNdAt: number;
  syncs: number;
}

/** Frames in log order: a LogReader over a file, or a live link from a recording primary (FT). */
export interface FrameSource {
  next(): { index: number; offset: number; frame: Frame } | null;
  /** Set when the source stopped without an end frame. */
  readonly cut: { message: string } | null;
  /** Continue at a frame boundary found earlier (files only). */
  seek?(offset: number, index: number): void;
  /** Offset of the next frame, and frames read so far (files only). */
  readonly position?: number;
  readonly framesRead?: number;
  close(): void;
}

export class Replayer {
  readonly header: LogHeader;
  readonly input: ReplayingInput;
  readonly events = new EventQueue();
  /** The replay's own output, counted as the recorder counted the recording's (the caller taps the wiring). */
  readonly outputs = new OutputLedger();
  private readonly main: FrameSource;
  private readonly ndReader: FrameSource;
  private lastSync = 0;
  private lastEventsAt = -1;
  private lastNdAt = -1;
  syncs = 0;

  /**
   * Replay the log at `path`, or, with `sources`, frames from elsewhere (two
   * independent cursors over the same frame sequence: one for ND blocks, one for the rest).
   */
  constructor(readonly path: string, sources?: { header: LogHeader; main: FrameSource; nd: FrameSource }) {
    if (sources) {
      this.main = sources.main;
      this.ndReader = sources.nd;
      this.header = sources.header;
    } else {
      const main = LogReader.open(path);
      this.main = main;
      this.ndReader = LogReader.open(path);
      this.header = main.header;
    }
    const wall = this.header.machine.wallClockMs;
    this.input = new ReplayingInput(() => this.nextNdBlock(), typeof wall === 'number' ? wall : 0);
  }

  attach(cpu: CpuHandle & { eip: number }): void {
    this.input.attach(cpu);
    this.events.cpu = cpu;
    this.outputs.position = () => cpu.icount;
  }

  private nextNdBlock(): { block: import('./nd-block.js').NdBlock; origin: string } | null {
    for (let f = this.ndReader.next(); f; f = this.ndReader.next()) {
      if (f.frame.kind === 'nd') return { block: f.frame, origin: `frame ${f.index} (offset ${f.offset})` };
    }
    return null;
  }

  /** Read on to the next sync point, checkpoint, end or cut, queueing the events met on the way. */
  nextPoint(): ControlPoint {
    for (let f = this.main.next(); f; f = this.main.next()) {
      const fr = f.frame;
      switch (fr.kind) {
        case 'events':
          this.events.push(fr.events);
          this.lastEventsAt = fr.at;
          break;
        case 'nd':
          this.lastNdAt = fr.at;
          break;
        case 'sync':
          this.lastSync = fr.icount;
          this.syncs++;
          return {
            kind: 'sync', frame: fr, index: f.index, offset: f.offset,
            resume: { offset: this.main.position ?? -1, index: (this.main.framesRead ?? -1) + 1 },
          };
        case 'checkpoint':
          if (fr.part === 0) return { kind: 'checkpoint', frame: fr, index: f.index, offset: f.offset };
          break;
        case 'end':
          return { kind: 'end', frame: fr };
      }
    }
    const cut = this.main.cut;
    const safeIcount = cutReplayableTo(this.lastSync, this.lastNdAt, this.lastEventsAt);
    return { kind: 'cut', message: cut?.message ?? `${this.path}: the log ends without an end frame`, safeIcount };
  }

  /**
   * Resume both cursors at a frame boundary (just after a checkpoint the
   * machine was restored to): what came before is already in the machine.
   */
  seek(offset: number, index: number): void {
    if (!this.main.seek || !this.ndReader.seek) throw new Error('this frame source cannot seek');
    this.main.seek(offset, index);
    this.ndReader.seek(offset, index);
    this.events.clear();
    this.input.nd.reset();
  }

  /** The reading state now (log files only: both sources must be LogReaders). */
  saveReading(): ReadingState {
    const at = (src: FrameSource): { offset: number; index: number } => {
      if (src.position === undefined || src.framesRead === undefined || !src.seek) throw new Error('only a replay of a log file has a cursor');
      return { offset: src.position, index: src.framesRead + 1 };
    };
    return {
      main: at(this.main), nd: at(this.ndReader), events: this.events.save(), ndSource: this.input.nd.save(),
      lastClockNs: this.input.lastClockNs, lastSync: this.lastSync, lastEventsAt: this.lastEventsAt, lastNdAt: this.lastNdAt, syncs: this.syncs,
    };
  }

  /** Put the reading state back as saveReading() found it. */
  restoreReading(c: ReadingState): void {
    this.main.seek!(c.main.offset, c.main.index);
    this.ndReader.seek!(c.nd.offset, c.nd.index);
    this.events.restore(c.events);
    this.input.nd.restore(c.ndSource);
    this.input.lastClockNs = c.lastClockNs;
    this.lastSync = c.lastSync;
    this.lastEventsAt = c.lastEventsAt;
    this.lastNdAt = c.lastNdAt;
    this.syncs = c.syncs;
  }

  close(): void {
    this.main.close();
    this.ndReader.close();
  }
}
