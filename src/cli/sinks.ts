// Byte sinks for guest output: buffered, so a guest printing a byte at a time
// costs a copy, not a system call. Flushed at the end of every run slice.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { UsageError } from './exit.js';

export interface ByteSink {
  write(byte: number): void;
  flush(): void;
  close(): void;
}

const SIZE = 1 << 16;

export class BufferedSink implements ByteSink {
  private buf = new Uint8Array(SIZE);
  private len = 0;

  constructor(private readonly out: (bytes: Uint8Array) => void, private readonly onClose: () => void = () => {}) {}

  write(byte: number): void {
    this.buf[this.len++] = byte;
    if (this.len === SIZE) this.flush();
  }

  flush(): void {
    if (this.len === 0) return;
    this.out(this.buf.slice(0, this.len));
    this.len = 0;
  }

  close(): void {
    this.flush();
    this.onClose();
  }
}

/** A sink writing to a file, created or truncated now. */
export function fileSink(path: string, what: string): ByteSink {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new UsageError(`cannot open ${what} file ${path}: ${describeFsError(e)}`);
  }
  return new BufferedSink(
    (bytes) => {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
    },
    () => closeSync(fd),
  );
}

export const discardSink: ByteSink = { write() {}, flush() {}, close() {} };

/** Write a whole text file now (the --screen file at the end of a run). */
export function writeTextFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UsageError(`cannot write ${what} file ${path}: ${describeFsError(e)}`);
  }
}

/** A short reason for a failed file operation, without Node's call details. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    default:
      return code ?? String((e as Error)?.message ?? e);
  }
}
