// COM1's receive line from a host stream (--serial-in FILE, or - for stdin):
// a ByteSource for the machine. Reading pauses while enough is buffered, so
// a large file is not held in memory.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ByteSource } from '../machine/events.js';
import { UsageError } from './exit.js';
import { describeFsError } from './sinks.js';

const HIGH_WATER = 64 * 1024;

export class StreamByteSource implements ByteSource {
  private readonly chunks: Buffer[] = [];
  private pos = 0;
  private buffered = 0;
  private done = false;
  private listener: () => void = () => {};

  constructor(private readonly stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered >= HIGH_WATER) stream.pause();
      this.listener();
    });
    const end = (): void => {
      this.done = true;
      this.listener();
    };
    stream.on('end', end);
    stream.on('error', end);
  }

  get available(): boolean {
    return this.chunks.length > 0;
  }

  get ended(): boolean {
    return this.done && this.chunks.length === 0;
  }

  next(): number {
    const c = this.chunks[0];
    if (c === undefined) return -1;
    const b = c[this.pos++];
    this.buffered--;
    if (this.pos >= c.length) {
      this.chunks.shift();
      this.pos = 0;
      if (this.buffered < HIGH_WATER / 2 && !this.done) this.stream.resume();
    }
    return b;
  }

  onActivity(cb: () => void): void {
    this.listener = cb;
  }

  close(): void {
    this.stream.destroy();
  }
}

/** Open --serial-in: a file (checked readable now, so a bad path is a usage error) or '-' for `stdin`. */
export async function openSerialInput(spec: string, stdin: Readable, flag = '--serial-in'): Promise<StreamByteSource> {
  if (spec === '-') return new StreamByteSource(stdin);
  try {
    const fh = await open(spec, 'r');
    const info = await fh.stat();
    if (info.isDirectory()) {
      await fh.close();
      throw Object.assign(new Error(), { code: 'EISDIR' });
    }
    return new StreamByteSource(fh.createReadStream());
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${spec}: ${describeFsError(e)}`);
  }
}
