// Where released FT output goes (ft-check --output, ft-secondary after a
// failover): a file or standard output, written at once (no buffering), so
// a file's length is exactly what was released. That length is the offset
// ledger a failover resumes from; the optional ledger file records every
// write as one JSON line {"by", "offset", "length"}, so "no byte lost, none
// repeated" can be checked after the fact: the offsets follow each other
// from 0, and the last one plus its length is the file's size.

import { appendFileSync, closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { LinkError } from './wire.js';

export class ReleaseSink {
  private readonly fd: number;
  /** Bytes written so far (for a file: its length). */
  written: number;
  private readonly ledger: string | null;

  /**
   * `path` null: standard output (fd 1). `append`: keep what the file holds
   * (a secondary taking over appends after the primary's bytes).
   */
  constructor(path: string | null, opts: { append: boolean; ledger?: string | null; by: string; discard?: boolean }) {
    this.by = opts.by;
    this.discard = opts.discard === true;
    this.ledger = opts.ledger ?? null;
    try {
      this.fd = path === null ? 1 : openSync(path, opts.append ? 'a' : 'w');
      this.written = path === null ? 0 : fstatSync(this.fd).size;
      if (this.ledger !== null && !opts.append) openLedger(this.ledger);
    } catch (e) {
      throw new LinkError(`cannot open ${path ?? 'standard output'} for released output: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    this.isFile = path !== null;
  }

  private readonly by: string;
  /** Count the bytes, write none (ft-check --json without --output: stdout is the report's). */
  private readonly discard: boolean;
  readonly isFile: boolean;

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    let at = 0;
    while (!this.discard && at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
    if (this.ledger !== null) appendFileSync(this.ledger, `${JSON.stringify({ by: this.by, offset: this.written, length: bytes.length })}\n`);
    this.written += bytes.length;
  }

  /** A note in the ledger (a takeover, with the offset it resumed from). */
  note(what: Record<string, unknown>): void {
    if (this.ledger !== null) appendFileSync(this.ledger, `${JSON.stringify({ by: this.by, ...what })}\n`);
  }

  close(): void {
    if (this.fd !== 1) closeSync(this.fd);
  }
}

function openLedger(path: string): void {
  closeSync(openSync(path, 'w'));
}

/** Check a ledger: every write starts where the one before ended. Returns the total, or a message. */
export function checkLedger(lines: string[]): { total: number; problem: string | null } {
  let end = 0;
  for (const l of lines) {
    if (l.trim() === '') continue;
    const e = JSON.parse(l) as { offset?: number; length?: number; resumeAt?: number };
    if (e.resumeAt !== undefined) {
      // A takeover: the primary may have written its last bytes without recording them.
      if (e.resumeAt < end) return { total: end, problem: `takeover resumed at ${e.resumeAt}, before ${end}` };
      end = e.resumeAt;
      continue;
    }
    if (e.offset === undefined || e.length === undefined) continue;
    if (e.offset !== end) return { total: end, problem: `a write at ${e.offset}, expected ${end}` };
    end += e.length;
  }
  return { total: end, problem: null };
}
