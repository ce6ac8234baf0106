// Colour is decided per stream: standard output's from standard output,
// standard error's from standard error, so `vmrr demo > out.txt` from a
// terminal writes no escape codes to the file while its messages stay
// coloured. FORCE_COLOR wins over NO_COLOR (as in Node itself); chalk's own
// detection (a terminal, TERM, FORCE_COLOR) decides the rest.
import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance, type ColorSupportLevel } from 'chalk';

/** The chalk level for a stream: `detected` is chalk's level for it (it already read FORCE_COLOR and the TTY). */
export function colourLevel(env: NodeJS.ProcessEnv, detected: ColorSupportLevel): ColorSupportLevel {
  if (env.FORCE_COLOR !== undefined) return detected;
  // https://no-color.org: set and not empty.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  return detected;
}

const levelOf = (s: typeof supportsColor): ColorSupportLevel => (s ? s.level : 0);

/** For what goes to standard output (inspect's report, demo's verdict). */
export const paintOut: ChalkInstance = new Chalk({ level: colourLevel(process.env, levelOf(supportsColor)) });
/** For what goes to standard error (messages, the replay and ft-check reports). */
export const paintErr: ChalkInstance = new Chalk({ level: colourLevel(process.env, levelOf(supportsColorStderr)) });
