// The recording side of a session: everything that crosses the input source
// goes to the log. ND values arrive in blocks from the ND buffer; events are
// batched and written as `events` frames; sync points and checkpoints are
// written when the session stops the machine at their icounts. Before a sync
// point or checkpoint, pending events and ND entries are flushed, so a frame
// that follows one holds only what happened after it.

import { timerEvent, type MachineEvent } from '../machine/events.js';
import type { StopInfo } from '../machine/machine.js';
import type { EndFrame, Frame, LogEvent } from './frames.js';
import type { LogHeader } from './log-format.js';
import { LogWriter, type CheckpointInput } from './log-writer.js';
import type { NdBlock } from './nd-block.js';
import { HostInputSource, isoTime } from './input-source.js';
import { RecordingInput } from './session-inputs.js';
import { OutputLedger } from './output-ledger.js';

/** Events held before an `events` frame is written even without a sync point. */
const EVENT_BATCH = 256;

export interface RecorderOptions {
  path: string;
  /** Header fields; the recorder adds the wall-clock time it read to `machine`. */
  header: Omit<LogHeader, 'ndBufferSize' | 'created'>;
  ndBufferSize: number;
  mhz: number;
  /**
   * What flushAll does. 'frames' (the default; the FT link): pending ND entries
   * and events are cut into frames at once. 'bytes' (`vmrr record`): only the
   * frames already written go to the file, because the record loop calls
   * flushAll whenever the machine yields to the host, at host-timed points, and
   * frames cut there would make two identical recordings differ. Frames are then
   * cut only at deterministic points: a full ND buffer, an event batch, a sync
   * point, a checkpoint, the end (or an abort).
   */
  periodicFlush?: 'frames' | 'bytes';
  /** The host side of the input source (default: a HostInputSource at `mhz`, unseeded, host wall clock). */
  host?: HostInputSource;
}

export function logEventOf(ev: MachineEvent, icount: number, eip: number): LogEvent {
  switch (ev.kind) {
    case 'timer': return { kind: 'timer', icount, eip, value: ev.t };
    case 'serial': return ev.t === undefined ? { kind: 'serial', icount, eip, value: ev.byte } : { kind: 'serial', icount, eip, value: ev.byte, t: ev.t };
    case 'disk': return { kind: 'disk', icount, eip, value: ev.t ?? 0 };
    // The scan code in the low byte; above it the guest time with the virtual clock (else 0), as for disk.
    case 'key': return { kind: 'key', icount, eip, value: (ev.t ?? 0) * 256 + ev.code };
  }
}

export function machineEventOf(e: LogEvent): MachineEvent {
  switch (e.kind) {
    case 'timer': return timerEvent(e.value);
    case 'serial': return e.t === undefined ? { kind: 'serial', byte: e.value } : { kind: 'serial', byte: e.value, t: e.t };
    case 'disk': return e.value > 0 ? { kind: 'disk', t: e.value } : { kind: 'disk' };
    case 'key': {
      const t = Math.floor(e.value / 256);
      return t > 0 ? { kind: 'key', code: e.value % 256, t } : { kind: 'key', code: e.value % 256 };
    }
  }
}

/** Where a recording's frames go: a LogWriter (a file), or a live link to a secondary (FT). */
export interface FrameSink {
  write(frame: Frame): number;
  writeCheckpoint(cp: CheckpointInput): number;
  flush(): void;
  finish(end: Omit<EndFrame, 'kind'>): void;
  abort(): void;
  readonly tally: Record<string, { frames: number; bytes: number }>;
}

export class Recorder {
  readonly input: RecordingInput;
  readonly writer: FrameSink;
  readonly header: LogHeader;
  /** The guest's output, counted and digested (the caller taps the machine's wiring with it: outputs.tap). */
  readonly outputs = new OutputLedger();
  private pending: LogEvent[] = [];
  private readonly periodicFlush: 'frames' | 'bytes';
  events = 0;
  syncs = 0;

  /** `sinkFor`: where frames go, given the header (default: a LogWriter creating opts.path). */
  constructor(opts: RecorderOptions, sinkFor: (header: LogHeader) => FrameSink = (h) => LogWriter.create(opts.path, h)) {
    const host = opts.host ?? new HostInputSource(opts.mhz);
    this.periodicFlush = opts.periodicFlush ?? 'frames';
    // The writer needs the header first, and the header holds the wall-clock time the input reads.
    let writer: FrameSink | null = null;
    this.input = new RecordingInput(host, opts.ndBufferSize, (block: NdBlock) => {
      writer!.write({ kind: 'nd', ...block });
      // An events frame follows every ND block, even an empty one: its `at` then says both streams are
      // whole up to it, which is how far a cut log replays (log-summary.ts cutReplayableTo).
      this.writeEvents(block.at, true);
    });
    const header: LogHeader = {
      ...opts.header,
      machine: { ...opts.header.machine, wallClockMs: this.input.wallMs },
      ndBufferSize: opts.ndBufferSize,
      // The one host wall-time value in a log: when it was made (the RTC's start is the guest input above).
      created: isoTime(host.hostTimeMs()),
    };
    this.header = header;
    writer = sinkFor(header);
    this.writer = writer;
  }

  /** The machine's onEvent hook: log the event at the position it is delivered. */
  onEvent = (ev: MachineEvent, icount: number, eip: number): void => {
    this.pending.push(logEventOf(ev, icount, eip));
    this.events++;
    if (this.pending.length >= EVENT_BATCH) this.flushEvents(icount);
  };

  /** Write pending events, ND entries first; `at`: every event and ND value before this icount is now in the log. */
  flushEvents(at: number): void {
    this.input.nd.flush();
    this.writeEvents(at);
  }

  private writeEvents(at: number, always = false): void {
    if (this.pending.length === 0 && !always) return;
    this.writer.write({ kind: 'events', at, events: this.pending });
    this.pending = [];
  }

  /** A periodic flush, so a killed recorder leaves a replayable log (see RecorderOptions.periodicFlush). */
  flushAll(icount: number): void {
    if (this.periodicFlush === 'bytes') this.writer.flush();
    else this.cutAll(icount);
  }

  /** Everything so far to the log, as frames. */
  private cutAll(icount: number): void {
    this.input.nd.flush();
    this.flushEvents(icount);
    this.writer.flush();
  }

  /** `ghash`: the guest-state hash (CPU and RAM), when the caller has it. */
  sync(icount: number, eip: number, hash: Uint8Array, ghash?: Uint8Array): void {
    this.input.nd.flush();
    this.flushEvents(icount);
    this.writer.write({ kind: 'sync', icount, eip, hash, ...(ghash ? { ghash } : {}), out: this.outputs.mark() });
    this.syncs++;
  }

  checkpoint(cp: CheckpointInput): void {
    this.input.nd.flush();
    this.flushEvents(cp.icount);
    this.writer.writeCheckpoint({ ...cp, out: this.outputs.peek() });
  }

  finish(stop: StopInfo, hash: Uint8Array, stats: Record<string, number>): void {
    this.input.nd.flush();
    this.flushEvents(stop.icount);
    this.writer.finish({
      icount: stop.icount,
      eip: stop.eip >>> 0,
      reason: stop.reason,
      exitValue: stop.exitValue ?? null,
      hash,
      out: this.outputs.mark(),
      stats: { ...stats, ...this.input.nd.counters.toJSON(), events: this.events, syncs: this.syncs },
    });
  }

  /** Leave the log marked incomplete (an error or interrupt ended the recording). */
  abort(icount: number): void {
    try {
      this.cutAll(icount);
    } finally {
      this.writer.abort();
    }
  }
}
