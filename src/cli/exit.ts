// Exit statuses (DESIGN section 11) and how errors and run results map to them.
import { ImageError } from '../machine/loaders.js';
import type { StopReason as MachineStopReason } from '../machine/machine.js';
import { OptionError, type ExitCodeMode } from './options.js';
import { ConfigError } from '../machine/config.js';
import { DiskOpenError } from '../machine/file-disk.js';
import { InjectSpecError } from '../ft/inject.js';
import { LinkError } from '../ft/wire.js';
import { LogError } from '../replay/log-error.js';
import { StateError } from '../machine/state-check.js';

export const EXIT_OK = 0;
export const EXIT_DIVERGENCE = 1;
export const EXIT_USAGE = 2;
export const EXIT_GUEST_FAILED = 3;
/** The guest halted for good: HLT with interrupts off (a panic), or with nothing left to wake it. */
export const EXIT_GUEST_HALTED = 4;
/** ft-check / ft-secondary: the link was lost and the other side claimed the output (src/ft/arbiter.ts). */
export const EXIT_SUPERSEDED = 5;
/** vmrr itself failed: a bug, reported with its stack. */
export const EXIT_INTERNAL = 70;
/** Stopped by SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;
/** Stopped by SIGTERM (128 + 15). */
export const EXIT_TERMINATED = 143;
/** Standard output was closed under us, as shells report SIGPIPE. */
export const EXIT_SIGPIPE = 141;

/** Bad usage or unreadable input, found by the CLI itself. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Bad usage or bad input (main.ts exits with EXIT_USAGE, 2): reported as one line, no stack trace. */
export function isUserError(err: unknown): err is Error {
  return (
    err instanceof UsageError ||
    err instanceof ImageError ||
    err instanceof OptionError ||
    err instanceof ConfigError ||
    err instanceof DiskOpenError ||
    err instanceof InjectSpecError ||
    err instanceof LinkError ||
    err instanceof LogError ||
    err instanceof StateError
  );
}

/** Why a run ended: the machine's reasons, plus Ctrl-C between slices. */
export type StopReason = MachineStopReason | 'interrupted';

/** The status `vmrr run` ends with. */
export function runExitStatus(reason: StopReason, exitValue: number | null, mode: ExitCodeMode): number {
  switch (reason) {
    case 'exit':
      return mode === 'guest' && exitValue !== null ? exitValue & 0xff : EXIT_OK;
    case 'reset':
      return EXIT_OK; // the guest asked to reboot: vmrr stops there, as qemu -no-reboot does
    case 'halt':
      return EXIT_GUEST_HALTED;
    case 'interrupted':
      return EXIT_INTERRUPTED;
    case 'limit':
    case 'triple-fault':
      return EXIT_GUEST_FAILED;
  }
}
