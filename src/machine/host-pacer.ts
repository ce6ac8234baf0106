// How often the asynchronous run loop hands control back to the host: by host
// time, whatever the slice and sync settings, so Ctrl-C, progress and output
// are never starved. The one module outside the input source that reads the
// host clock (test/determinism.test.ts allows it): it decides only where the
// CPU's work is cut into chunks and when the event loop gets a turn, which
// never changes what the guest sees (runCpu stops at exact icounts).
import { performance } from 'node:perf_hooks';

/** Host milliseconds between turns of the event loop at most. */
export const TURN_MS = 25;
/** Host milliseconds a CPU chunk aims at between looks at the clock. */
const CHUNK_MS = 5;
const MIN_CHUNK = 10_000;
const MAX_CHUNK = 20_000_000;

export class HostPacer {
  private lastTurn = performance.now();
  private chunkStart = 0;
  /** Instructions in the next CPU chunk. */
  chunk = MIN_CHUNK * 10;

  /** A turn of the event loop is due. */
  due(): boolean {
    return performance.now() - this.lastTurn >= TURN_MS;
  }

  startChunk(): void {
    this.chunkStart = performance.now();
  }

  /** A chunk of `insns` ran to its end: size the next so that it takes about CHUNK_MS. */
  endChunk(insns: number): void {
    if (insns <= 0) return;
    const ms = performance.now() - this.chunkStart;
    const want = ms > 0 ? (insns / ms) * CHUNK_MS : this.chunk * 2;
    this.chunk = Math.round(Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.min(want, this.chunk * 2))));
  }

  /** One turn of the event loop (timers, I/O callbacks, signal handlers). */
  async turn(): Promise<void> {
    // A zero timeout, not setImmediate: due timers (a spinner's, a wait's) run too.
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.turned();
  }

  /** The event loop had its turn another way (an idle wait). */
  turned(): void {
    this.lastTurn = performance.now();
  }
}
