// The live progress line of record, replay, ft-check and run: on standard
// error, only on a terminal, never with --json or under CI. The commands call
// RunIo.progress(icount, extra) whenever the machine yields to the host; the
// line is redrawn by ora's own timer and cleared when the command ends.
import { performance } from 'node:perf_hooks';

/** What a command knows besides the instruction count. */
export interface ProgressExtra {
  /** Replay: the icount the log ends at (its end frame's), for the percentage and the ETA. */
  total?: number;
  /** ft-check: rounds judged, divergences and resyncs so far. */
  rounds?: number;
  divergences?: number;
  resyncs?: number;
}

export type ProgressFn = (icount: number, extra?: ProgressExtra) => void;

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Millions with one decimal: 123.4M. */
function millions(n: number): string {
  return `${(n / 1e6).toFixed(1)}M`;
}

function duration(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The text of the line: `verb label: 12.3M instructions, 45.6 MIPS`, then for a
 * replay `(41% of 30.0M, ETA 3s)`, for ft-check `; round 6, 0 divergences, 0 resyncs`.
 */
export function progressText(verb: string, label: string, icount: number, seconds: number, extra: ProgressExtra = {}): string {
  const mips = seconds > 0 ? icount / seconds / 1e6 : 0;
  let text = `${verb} ${label}: ${millions(icount)} instructions, ${mips.toFixed(1)} MIPS`;
  const total = extra.total;
  if (total !== undefined && total > 0) {
    const pct = Math.min(100, Math.floor((icount / total) * 100));
    text += ` (${pct}% of ${millions(total)}`;
    if (mips > 0 && icount < total) text += `, ETA ${duration((total - icount) / (mips * 1e6))}`;
    text += ')';
  }
  if (extra.rounds !== undefined) {
    text += `; round ${extra.rounds}, ${plural(extra.divergences ?? 0, 'divergence')}, ${plural(extra.resyncs ?? 0, 'resync')}`;
  }
  return text;
}

/** Whether a progress line may be shown on this stream (a terminal of known width, not --json, not CI). */
export function progressWanted(json: boolean, stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): boolean {
  // A terminal of unknown width (columns 0, as under script(1)) makes ora's line counting loop forever.
  return !json && stream.isTTY === true && (stream.columns ?? 0) > 0 && !env.CI;
}

export interface ProgressLine {
  /** The hook the command calls. */
  update: ProgressFn;
  /** Around other writes to the same terminal (guest output on stdout): take the line away, then put it back. */
  clear(): void;
  redraw(): void;
  /** Remove the line for good. */
  stop(): void;
}

/** Start a progress line on standard error. */
export async function startProgress(verb: string, label: string): Promise<ProgressLine> {
  const { default: ora } = await import('ora');
  const start = performance.now();
  const spinner = ora({ text: `${verb} ${label}`, stream: process.stderr, discardStdin: false }).start();
  let lastText = 0;
  return {
    update: (icount, extra) => {
      const now = performance.now();
      // ora redraws on its own timer; a new text ten times a second is plenty.
      if (now - lastText < 100) return;
      lastText = now;
      spinner.text = progressText(verb, label, icount, (now - start) / 1000, extra);
    },
    clear: () => {
      if (spinner.isSpinning) spinner.clear();
    },
    redraw: () => {
      if (spinner.isSpinning) spinner.render();
    },
    stop: () => spinner.stop(),
  };
}
