// The one error type for unreadable, corrupt or unsupported logs. The CLI maps
// it to exit status 2 and prints its one-line message, which names the file
// and the byte offset: "run.vmrr: bad CRC in frame 12 at offset 40213".

export class LogError extends Error {
  override readonly name = 'LogError';

  constructor(
    readonly file: string,
    /** Byte offset of the problem (the start of the frame for frame errors), or -1 when none applies. */
    readonly offset: number,
    /** What is wrong, without file or position, e.g. "bad CRC". */
    readonly problem: string,
    /** Frame number (1 = first frame after the header), 0 for the header, or -1. */
    readonly frame = -1,
  ) {
    super(`${file}: ${problem}${frame > 0 ? ` in frame ${frame}` : frame === 0 ? ' in the header' : ''}${offset >= 0 ? ` at offset ${offset}` : ''}`);
  }
}

/** A payload that decoded but does not have the shape its kind requires. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}
