// Drives the ND sources as the machine's run loop will: set the CPU position,
// execute an ND instruction, and service the source at a buffer exit.
import { join } from 'node:path';
import { ND_CLOCK, ND_RDRAND, ND_RDSEED, ND_RDTSC } from '../../src/replay/nd-block.js';
import { LogReader } from '../../src/replay/log-reader.js';
import { LogWriter } from '../../src/replay/log-writer.js';
import { RecordNdSource, ReplayNdSource, type HostNdSource } from '../../src/replay/nd-source.js';
import { Rng, sampleEnd, sampleHeader } from './helpers.js';

/** One ND instruction of a guest run. */
export interface NdStep {
  kind: number;
  icount: number;
  eip: number;
  bits: 16 | 32;
}

/** A fake host: a TSC advancing by `tscStep()` per read, random numbers from a seed. */
export class FakeHost implements HostNdSource {
  tsc = 1_000_000_000;
  ns = 0;
  private readonly rng: Rng;
  constructor(seed: number, private readonly tscStep: () => number = () => 500) {
    this.rng = new Rng(seed);
  }
  rdtsc(): number {
    return (this.tsc += this.tscStep());
  }
  rdrand(bits: number): number {
    const v = this.rng.u32();
    return bits === 16 ? v & 0xffff : v;
  }
  clockNs(): number {
    return (this.ns += this.rng.int(0, 100000));
  }
}

export function randomSteps(rng: Rng, n: number): NdStep[] {
  const steps: NdStep[] = [];
  let icount = rng.int(0, 1000);
  const eips = [0x1000, 0x1004, 0x2000, 0x100010];
  for (let i = 0; i < n; i++) {
    icount += rng.int(1, 40);
    steps.push({ kind: rng.int(0, 3), icount, eip: eips[rng.int(0, 3)], bits: rng.int(0, 1) ? 32 : 16 });
  }
  return steps;
}

export interface Positioned {
  icount: number;
  prevEip: number;
}

function execute(src: RecordNdSource | ReplayNdSource, s: NdStep): number {
  if (s.kind === ND_RDTSC) return src.rdtsc();
  if (s.kind === ND_CLOCK) return src.clockNs();
  return src.rdrand(s.bits, s.kind === ND_RDSEED);
}

export interface Recording {
  path: string;
  values: number[];
  src: RecordNdSource;
  writer: LogWriter;
  exits: number;
}

/** Record `steps` into a log at dir/name. `service: false` plays a run loop that ignores buffer exits. */
export function record(dir: string, name: string, steps: NdStep[], capacity: number, host: HostNdSource, service = true): Recording {
  const path = join(dir, name);
  const writer = LogWriter.create(path, sampleHeader({ ndBufferSize: capacity }), { sync: false });
  const src = new RecordNdSource(host, capacity, (b) => writer.write({ kind: 'nd', ...b }));
  const cpu: Positioned = { icount: 0, prevEip: 0 };
  let exits = 0;
  src.attach(cpu, () => exits++);
  const values: number[] = [];
  for (const s of steps) {
    cpu.icount = s.icount;
    cpu.prevEip = s.eip;
    values.push(execute(src, s));
    cpu.icount++;
    if (service && src.pending) src.serviceExit();
  }
  src.flush();
  writer.finish({ ...sampleEnd, icount: cpu.icount });
  return { path, values, src, writer, exits };
}

export interface Replay {
  values: number[];
  src: ReplayNdSource;
  /** Steps executed before a divergence was thrown, or steps.length. */
  executed: number;
  error: unknown;
}

/** Replay `steps` against the log; a thrown NdDivergence ends the run and is returned. */
export function replay(path: string, steps: NdStep[], service = true): Replay {
  const reader = LogReader.open(path);
  const src = new ReplayNdSource(() => {
    for (let f = reader.next(); f; f = reader.next()) {
      if (f.frame.kind === 'nd') return { block: f.frame, origin: `frame ${f.index} at offset ${f.offset}` };
    }
    return null;
  });
  const cpu: Positioned = { icount: 0, prevEip: 0 };
  src.attach(cpu, () => {});
  const values: number[] = [];
  let executed = 0;
  try {
    if (service && src.pending) src.serviceExit();
    for (const s of steps) {
      cpu.icount = s.icount;
      cpu.prevEip = s.eip;
      values.push(execute(src, s));
      cpu.icount++;
      executed++;
      if (service && src.pending) src.serviceExit();
    }
    src.finish();
    return { values, src, executed, error: null };
  } catch (e) {
    return { values, src, executed, error: e };
  } finally {
    reader.close();
  }
}

export const KINDS = { ND_RDTSC, ND_RDRAND, ND_RDSEED, ND_CLOCK };
