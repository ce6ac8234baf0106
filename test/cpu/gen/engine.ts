// The one place that picks the CPU engine for engine-vs-engine tests and
// benchmarks (issue 16). 'interp' is the reference interpreter; 'compiled'
// is the block compiler of src/cpu/jit/, switched by `cpu.blockThreshold`
// (0 = interpreter only; the CLI's --no-jit and --jit-threshold set the same
// field through MachineConfig.jitThreshold). Callers: blocks.test.ts,
// engine-diff.test.ts (gen/random-insns.ts).

import type { Cpu } from '../../../src/cpu/cpu.js';

export type Engine = 'interp' | 'compiled';

/** Select the engine; `threshold` is how many interpretations before a block is compiled (default 2, to compile early). */
export function setEngine(cpu: Cpu, engine: Engine, threshold = 2): void {
  cpu.blockThreshold = engine === 'interp' ? 0 : threshold;
}
