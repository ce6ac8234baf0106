// The block compiler's counters as the --json summaries of run, record and
// replay report them (docs/cli-json.md): cpu.jitStats plus the engine setting.
import type { Cpu } from '../cpu/cpu.js';

export interface JitSummary {
  /** The block compiler was on (--jit-threshold N > 0; false with --no-jit). */
  enabled: boolean;
  /** cpu.blockThreshold: interpretations of an instruction before its region is compiled (0: never). */
  threshold: number;
  /** Regions compiled (one compilation each) and the block entry points they hold. */
  regions: number;
  blocks: number;
  /** Code pages holding compiled code that were dropped (written by the guest, a device or a restore). */
  invalidations: number;
  /** Instructions retired inside compiled code. */
  compiledInsns: number;
  /** compiledInsns / the instructions this command ran (0 when none ran). */
  compiledShare: number;
}

/** The summary for a machine that ran `executed` instructions in this command (its icount, less a seek's start). */
export function jitSummary(cpu: Cpu, executed: number): JitSummary {
  const s = cpu.jitStats;
  return {
    enabled: cpu.blockThreshold > 0,
    threshold: cpu.blockThreshold,
    regions: s.regions,
    blocks: s.blocks,
    invalidations: s.invalidations,
    compiledInsns: s.compiledInsns,
    compiledShare: executed > 0 ? s.compiledInsns / executed : 0,
  };
}
