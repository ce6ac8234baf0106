// The progress line's text and when it is shown (a terminal of known width,
// not --json, not CI). What a person sees was checked in tmux (README).
import { describe, expect, it } from 'vitest';
import { progressText, progressWanted } from '../../src/cli/progress.js';

describe('progress line', () => {
  it('record and run: instructions done and MIPS', () => {
    expect(progressText('recording', 'bench.mb', 123_456_789, 2)).toBe('recording bench.mb: 123.5M instructions, 61.7 MIPS');
  });

  it('replay with the log\'s final icount: percentage and ETA; at the end no ETA', () => {
    expect(progressText('replaying', 'a.vmrr', 25_000_000, 1, { total: 100_000_000 })).toBe('replaying a.vmrr: 25.0M instructions, 25.0 MIPS (25% of 100.0M, ETA 3s)');
    expect(progressText('replaying', 'a.vmrr', 10_000_000, 1, { total: 10_000_000_000 })).toMatch(/\(0% of 10000\.0M, ETA 16m39s\)$/);
    expect(progressText('replaying', 'a.vmrr', 100_000_000, 4, { total: 100_000_000 })).toMatch(/\(100% of 100\.0M\)$/);
  });

  it('ft-check: rounds, divergences and resyncs, singular and plural', () => {
    expect(progressText('ft-check', 'x.mb', 4_000_000, 2, { rounds: 2, divergences: 1, resyncs: 0 })).toBe(
      'ft-check x.mb: 4.0M instructions, 2.0 MIPS; round 2, 1 divergence, 0 resyncs',
    );
  });

  it('is shown only on a terminal of known width, without --json, outside CI', () => {
    const tty = { isTTY: true, columns: 80 };
    expect(progressWanted(false, tty, {})).toBe(true);
    expect(progressWanted(true, tty, {})).toBe(false);
    expect(progressWanted(false, { isTTY: false, columns: 80 }, {})).toBe(false);
    expect(progressWanted(false, { isTTY: true, columns: 0 }, {})).toBe(false);
    expect(progressWanted(false, tty, { CI: 'true' })).toBe(false);
  });
});
