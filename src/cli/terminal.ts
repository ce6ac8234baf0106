// What a command says on the terminal while it runs and when it stops:
// vmrr's own lines on stderr, the guest's stops for people, the progress line
// and the SIGINT/SIGTERM plumbing. main.ts builds the commands on top of it.
import { paintErr } from './colour.js';
import type { UnclaimedPort } from '../devices/port-bus.js';
import type { RunSummary } from './run.js';
import { progressWanted, startProgress, type ProgressFn } from './progress.js';

export const say = (line: string): void => {
  process.stderr.write(line + '\n');
};
export const sayError = (msg: string): void => say(`${paintErr.bold.red('vmrr:')} ${msg}`);
export const sayWarning = (msg: string): void => say(`${paintErr.bold.yellow('vmrr: warning:')} ${msg}`);

/** Failures of the guest, for people, on stderr. A normal end says nothing, as QEMU. */
export function reportStop(s: Pick<RunSummary, 'reason' | 'icount' | 'eip' | 'faults' | 'halt' | 'resetBy'>, log?: string): void {
  const at = `icount ${s.icount}, EIP 0x${s.eip.toString(16).padStart(8, '0')}`;
  switch (s.reason) {
    case 'triple-fault':
      sayError(`guest triple fault at ${at}` + (s.faults.length ? `: ${s.faults.join(' -> ')}` : ''));
      break;
    case 'limit':
      sayError(`guest reached the instruction limit (${at})`);
      break;
    case 'interrupted':
      sayStopped(`at ${at}` + (log ? `; ${log} is kept, marked incomplete, and replays up to there` : ''));
      break;
    case 'reset':
      say(`vmrr: guest asked for a system reset through ${s.resetBy} at ${at}: the run ends there (as qemu -no-reboot)`);
      break;
    case 'halt':
      sayError(
        s.halt === 'interrupts-off'
          ? `guest halted with interrupts disabled (HLT with IF=0 at ${at}): nothing can wake it`
          : `guest halted with no device left that can interrupt it (${at})`,
      );
      break;
  }
}

/** The ports the guest expected a device at: the next missing piece of the platform. */
export function reportUnclaimed(ports: UnclaimedPort[]): void {
  if (ports.length === 0) return;
  const hex = (p: number): string => `0x${p.toString(16)}`;
  const shown = ports.slice(0, 12).map((u) => `${hex(u.port)} (${[u.reads && `${u.reads} in`, u.writes && `${u.writes} out`].filter(Boolean).join(', ')})`);
  const more = ports.length > 12 ? `, and ${ports.length - 12} more (--json lists them)` : '';
  say(`vmrr: note: the guest touched ${ports.length} I/O port${ports.length > 1 ? 's' : ''} no device models (reads gave 0xFF): ${shown.join(', ')}${more}`);
}

/** The signal that stopped the command, if one did (its exit status is 128 + the signal's number). */
let stoppedBy: 'SIGINT' | 'SIGTERM' | null = null;

/** The signal that stopped the command, or null. */
export function stoppedBySignal(): 'SIGINT' | 'SIGTERM' | null {
  return stoppedBy;
}
export const interrupt = new AbortController();

/**
 * SIGINT (Ctrl-C) and SIGTERM stop the guest at the run loop's next turn
 * (within TURN_MS of host time), so the command still reports where it was and
 * closes its log. The handlers are in place from the moment this module has
 * loaded, so a signal while a command is still starting stops it as soon as it
 * runs. A second signal kills at once, as the handler is gone by then.
 */
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stoppedBy ??= sig;
    interrupt.abort();
  });
}

export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return body(interrupt.signal);
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The one line saying where a signal stopped a command. */
export function sayStopped(where: string): void {
  sayError(`stopped by ${stoppedBy ?? 'SIGINT'} ${where}`);
}

/** What a command writes to the terminal while it runs: guest output, warnings, and its progress line. */
export interface Terminal {
  guestStdout(bytes: Uint8Array): void;
  warn(message: string): void;
  progress?: ProgressFn;
}

/** A progress line on stderr while `body` runs, when progressWanted says so; other writes step around it. */
export async function withProgress<T>(json: boolean, verb: string, label: string, body: (t: Terminal) => Promise<T>): Promise<T> {
  const plain: Terminal = { guestStdout: (b) => process.stdout.write(b), warn: sayWarning };
  if (!progressWanted(json, process.stderr, process.env)) return body(plain);
  const line = await startProgress(verb, label);
  const around = <A>(write: (a: A) => void, shared: boolean) => (a: A): void => {
    if (!shared) return write(a);
    line.clear();
    write(a);
    line.redraw();
  };
  try {
    return await body({
      // Guest output shares the terminal only when stdout is one too.
      guestStdout: around((b: Uint8Array) => process.stdout.write(b), process.stdout.isTTY === true),
      warn: around(sayWarning, true),
      progress: line.update,
    });
  } finally {
    line.stop();
  }
}
