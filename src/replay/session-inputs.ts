// The input source in its record and replay modes (DESIGN section 4). Run
// mode is HostInputSource itself. Recording passes every guest-visible value
// (RDTSC, RDRAND/RDSEED, clock reads) through the ND buffer into the log;
// replaying serves them from the log and touches nothing on the host.

import type { MachineInput } from '../machine/machine.js';
import type { HostInputSource } from './input-source.js';
import type { NdBlock } from './nd-block.js';
import { RecordNdSource, ReplayNdSource, type CpuPosition, type NdSupply } from './nd-source.js';

/** What both modes attach to: the CPU's position and a way to leave its loop. */
export interface CpuHandle extends CpuPosition {
  requestReturn(): void;
}

function exitFor(cpu: CpuHandle): () => void {
  return () => cpu.requestReturn();
}

/** The machine's hook called each time the CPU loop returns (Machine.sliceHook). */
export interface SliceHookHost {
  sliceHook: (() => void) | null;
}

/**
 * Service the ND buffer at each buffer exit: on record, flush a full buffer;
 * on replay, refill an empty one, or throw the divergence met inside an
 * instruction.
 */
function bufferExit(nd: { readonly pending: boolean; serviceExit(): void }): () => void {
  return () => {
    if (nd.pending) nd.serviceExit();
  };
}

/** What both modes share: an ND source the CPU reads RDTSC/RDRAND/RDSEED through, serviced at buffer exits. */
abstract class NdBackedInput<S extends RecordNdSource | ReplayNdSource> {
  constructor(readonly nd: S) {}

  attach(cpu: CpuHandle): void {
    this.nd.attach(cpu, exitFor(cpu));
  }

  /** Make `machine` service this source's ND buffer at every buffer exit. */
  installBufferExit(machine: SliceHookHost): void {
    machine.sliceHook = bufferExit(this.nd);
  }

  rdtsc(): number {
    return this.nd.rdtsc();
  }
  rdrand(bits: number, seed: boolean): number {
    return this.nd.rdrand(bits, seed);
  }
}

export class RecordingInput extends NdBackedInput<RecordNdSource> implements MachineInput {
  readonly mode = 'record' as const;
  /** Read once, at power-on, and kept for the log header. */
  readonly wallMs: number;

  constructor(private readonly host: HostInputSource, ndBufferSize: number, sink: (block: NdBlock) => void) {
    super(new RecordNdSource(host, ndBufferSize, sink));
    this.wallMs = host.wallClockMs();
  }

  clockNs(): number {
    return this.nd.clockNs();
  }
  /** The scheduler's look at the host clock decides when events happen; the events themselves are logged. */
  peekClockNs(): number {
    return this.host.peekClockNs();
  }
  wallClockMs(): number {
    return this.wallMs;
  }
}

export class ReplayingInput extends NdBackedInput<ReplayNdSource> implements MachineInput {
  readonly mode = 'replay' as const;
  private lastClock = 0;

  constructor(supply: NdSupply, private readonly wallMs: number) {
    super(new ReplayNdSource(supply));
  }

  clockNs(): number {
    this.lastClock = this.nd.clockNs();
    return this.lastClock;
  }
  /** Replay has no scheduler decisions to make: events come from the log. */
  peekClockNs(): number {
    return this.lastClock;
  }
  /** The last clock value served (part of a replay's in-memory snapshot, Replayer.saveReading). */
  get lastClockNs(): number {
    return this.lastClock;
  }
  set lastClockNs(v: number) {
    this.lastClock = v;
  }
  wallClockMs(): number {
    return this.wallMs;
  }
}
