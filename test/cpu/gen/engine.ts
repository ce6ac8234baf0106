// The one place that picks the CPU engine for engine-vs-engine tests and
// benchmarks (issue 16). 'interp' is the reference interpreter; 'compiled'
// is whatever compiled path the product has. Today that is the superblocks
// of src/cpu/blocks.ts, switched by `cpu.blockThreshold` (0 = off). When the
// JIT lands (branch `jit`), change only the 'compiled' line below (e.g. to
// the JIT's own enable flag) and every caller follows.

import type { Cpu } from '../../../src/cpu/cpu.js';

export type Engine = 'interp' | 'compiled';

/** Select the engine; `threshold` is how many interpretations before a block is compiled (default 2, to compile early). */
export function setEngine(cpu: Cpu, engine: Engine, threshold = 2): void {
  cpu.blockThreshold = engine === 'interp' ? 0 : threshold;
}
