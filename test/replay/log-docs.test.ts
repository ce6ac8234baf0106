// The format's constants as vmrr-log(5) and docs/log-format.md state them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION, MAGIC, MAX_FRAME_BYTES, MAX_HEADER_BYTES, MAX_PAGES_PER_FRAME } from '../../src/replay/log-format.js';
import { FRAME_CODES, EVENT_KINDS } from '../../src/replay/frames.js';
import { ND_KIND_NAMES } from '../../src/replay/nd-block.js';

const man = readFileSync(new URL('../../man/vmrr-log.5', import.meta.url), 'utf8');
const doc = readFileSync(new URL('../../docs/log-format.md', import.meta.url), 'utf8');
const magicHex = MAGIC.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');

describe('vmrr-log(5) and docs/log-format.md', () => {
  it('the man page has the standard sections', () => {
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'DIAGNOSTICS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      expect(man, section).toMatch(new RegExp(`^\\.SH ${section}$`, 'm'));
    }
  });

  it('both state the magic, the version and the limits of the code', () => {
    expect(FORMAT_VERSION).toBe(3);
    for (const text of [man, doc]) {
      expect(text).toContain(magicHex);
      expect(text).toMatch(/version 2/);
      expect(text).toContain(String(MAX_FRAME_BYTES));
      expect(text).toContain(String(MAX_PAGES_PER_FRAME));
    }
    expect(MAX_HEADER_BYTES).toBe(1 << 20);
    expect(MAX_FRAME_BYTES).toBe(64 << 20);
    expect(doc).toMatch(/1 MiB for\s+the header, 64 MiB for a frame/);
  });

  it('both list every frame kind with its code, and the doc every event and ND kind', () => {
    for (const [kind, code] of Object.entries(FRAME_CODES)) {
      expect(man).toMatch(new RegExp(`^\\.B ${code} ${kind}$`, 'm'));
      expect(doc).toContain(`| ${code} | \`${kind}\` |`);
    }
    EVENT_KINDS.forEach((kind, i) => expect(doc).toContain(`| ${i + 1} | \`${kind}\` |`));
    expect(doc).toContain('0 = RDTSC (also the TSC read by RDMSR/WRMSR), 1 =\nRDRAND, 2 = RDSEED, 3 = a host clock');
    expect(ND_KIND_NAMES).toEqual(['rdtsc', 'rdrand', 'rdseed', 'clock']);
  });
});
