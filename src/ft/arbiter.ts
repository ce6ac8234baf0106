// Who releases output once the link between primary and secondary is lost.
// A lost link does not say which side died: a cut cable leaves both alive,
// and both going on would release the same output twice (split brain). As
// VMware FT does with an atomic test-and-set on shared storage, each side
// that loses its peer claims the session's owner file next to the output
// file, created exclusively: the one that creates it goes on, the other
// stops without releasing anything more. Each session (the first secondary,
// then each that joins) has its own file, numbered by its generation.
// With output on standard output there is nothing shared to claim: the
// survivor goes on (and a cut link can then duplicate output).

import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

export class Arbiter {
  constructor(
    /** The output file; null: standard output (no arbitration). */
    private readonly output: string | null,
    /** Who we are, as written in the owner file. */
    private readonly me: string,
  ) {}

  path(generation: number): string | null {
    return this.output === null ? null : `${this.output}.owner-${generation}`;
  }

  /** Claim session `generation`'s output: true when it is ours (now or already). */
  claim(generation: number): boolean {
    const p = this.path(generation);
    if (p === null) return true;
    try {
      const fd = openSync(p, 'wx');
      writeSync(fd, this.me);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return readOwner(p) === this.me;
    }
  }

  /** The other side claimed session `generation`: we must release nothing more. */
  lost(generation: number): boolean {
    const p = this.path(generation);
    return p !== null && existsSync(p) && readOwner(p) !== this.me;
  }
}

function readOwner(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** This side lost the arbitration: the other holds the output now. */
export class SupersededError extends Error {
  override name = 'SupersededError';
}
