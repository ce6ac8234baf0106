// DESIGN section 4: every non-deterministic value enters through the input
// source. This scans src/ and fails if any other module reads the host
// clock or a random number generator. Exceptions, each named below: src/cli/ may read
// performance.now() to report wall time (never shown to the guest).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
/** The one module allowed to read host time and randomness. */
const INPUT_SOURCE = 'src/replay/input-source.ts';
/** The one module allowed createHash (SHA-256 of images and disks), and nothing else of crypto. */
const DIGEST = 'src/replay/digest.ts';
/** The one machine-layer module allowed performance.now: how often runAsync yields to the host. */
const HOST_PACER = 'src/machine/host-pacer.ts';
/**
 * The one FT module allowed Date: the TCP link's heartbeat watchdog (when a
 * silent peer counts as lost). It decides when the primary stops waiting for
 * a secondary, never a value either guest reads: what a survivor releases is
 * fixed by the log and the commit ledger.
 */
const LINK_WATCHDOG = 'src/ft/socket-channel.ts';

const FORBIDDEN: { what: string; re: RegExp }[] = [
  { what: 'Date', re: /\bDate\s*[.(]|\bnew\s+Date\b/ },
  { what: 'performance.now', re: /\bperformance\s*\.\s*now\b|\bfrom\s+['"](node:)?perf_hooks['"]/ },
  { what: 'process.hrtime', re: /\bhrtime\b/ },
  { what: 'Math.random', re: /\bMath\s*\.\s*random\b/ },
  { what: 'crypto', re: /\bcrypto\b|['"](node:)?crypto['"]/ },
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Code without comments and string contents, so prose mentioning Date.now does not count. */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) => (/^['"](node:)?(crypto|perf_hooks)['"]$/.test(m) ? m : '""'));
}

function violations(file: string, text: string): string[] {
  const rel = relative(ROOT, file).split('\\').join('/');
  if (rel === INPUT_SOURCE) return [];
  const body = code(text);
  const found: string[] = [];
  for (const { what, re } of FORBIDDEN) {
    if (!re.test(body)) continue;
    // The CLI times the run for its report; that is all it may read.
    if (rel.startsWith('src/cli/') && what === 'performance.now') continue;
    // The run loop's pacing: when the host's event loop gets a turn, never anything the guest sees.
    if (rel === HOST_PACER && what === 'performance.now') continue;
    if (rel === LINK_WATCHDOG && what === 'Date') continue;
    // The replication coordinator and nodes (src/cluster/) run beside guests, never inside one: they time
    // rounds (performance.now) and address pages by content (crypto hashes, never its random APIs).
    if (rel.startsWith('src/cluster/') && what === 'performance.now') continue;
    if (rel.startsWith('src/cluster/') && what === 'crypto' && !/\brandom\w*\s*\(|getRandomValues|randomUUID/.test(body)) continue;
    // Content digests bind a log to its image: hashing only, never crypto's random APIs.
    if (rel === DIGEST && what === 'crypto' && !/\brandom\w*\s*\(|getRandomValues|randomUUID/.test(body)) continue;
    found.push(`${rel}: reads ${what}`);
  }
  return found;
}

describe('determinism boundary: only the input source reads host time and randomness', () => {
  it('no module under src/ other than src/replay/input-source.ts (and the run loop\'s pacer, the FT link\'s watchdog) reads Date, performance.now, process.hrtime, Math.random or crypto', () => {
    const all = sources(SRC).flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(all).toEqual([]);
  });

  it('the scan catches each forbidden read, outside comments and strings', () => {
    const fake = join(SRC, 'devices', 'fake.ts');
    expect(violations(fake, 'const t = Date.now();')).toEqual(['src/devices/fake.ts: reads Date']);
    expect(violations(fake, 'const t = new Date();')).toHaveLength(1);
    expect(violations(fake, 'const t = performance.now();')).toEqual(['src/devices/fake.ts: reads performance.now']);
    expect(violations(fake, "import { performance } from 'node:perf_hooks';")).toHaveLength(1);
    expect(violations(fake, 'const t = process.hrtime.bigint();')).toEqual(['src/devices/fake.ts: reads process.hrtime']);
    expect(violations(fake, 'const r = Math.random();')).toEqual(['src/devices/fake.ts: reads Math.random']);
    expect(violations(fake, "import { randomBytes } from 'node:crypto';")).toEqual(['src/devices/fake.ts: reads crypto']);
    expect(violations(fake, 'const r = globalThis.crypto.getRandomValues(b);')).toHaveLength(1);
    expect(violations(fake, '// never call Date.now() here\nconst s = "Math.random";')).toEqual([]);
  });

  it('src/cli/ may read performance.now for wall-time reports, and nothing else', () => {
    const cli = join(SRC, 'cli', 'fake.ts');
    expect(violations(cli, "import { performance } from 'node:perf_hooks'; performance.now();")).toEqual([]);
    expect(violations(cli, 'Date.now();')).toEqual(['src/cli/fake.ts: reads Date']);
    expect(violations(cli, 'Math.random();')).toEqual(['src/cli/fake.ts: reads Math.random']);
  });

  it('src/machine/host-pacer.ts may read performance.now, and nothing else; other machine modules may not', () => {
    expect(violations(join(ROOT, HOST_PACER), "import { performance } from 'node:perf_hooks'; performance.now();")).toEqual([]);
    expect(violations(join(ROOT, HOST_PACER), 'Date.now();')).toHaveLength(1);
    expect(violations(join(SRC, 'machine', 'machine.ts'), 'performance.now();')).toHaveLength(1);
  });

  it('src/ft/socket-channel.ts may read Date for its watchdog, and nothing else; other FT modules may not', () => {
    expect(violations(join(ROOT, LINK_WATCHDOG), 'const t = Date.now();')).toEqual([]);
    expect(violations(join(ROOT, LINK_WATCHDOG), 'Math.random();')).toHaveLength(1);
    expect(violations(join(SRC, 'ft', 'secondary.ts'), 'Date.now();')).toHaveLength(1);
  });

  it('src/cluster/ may time rounds and hash pages, and nothing else', () => {
    const c = join(SRC, 'cluster', 'fake.ts');
    expect(violations(c, "import { performance } from 'node:perf_hooks'; performance.now();")).toEqual([]);
    expect(violations(c, "import { createHash } from 'node:crypto'; createHash('sha256');")).toEqual([]);
    expect(violations(c, "import { randomBytes } from 'node:crypto'; randomBytes(4);")).toHaveLength(1);
    expect(violations(c, 'Date.now();')).toHaveLength(1);
  });

  it('the input source itself is exempt', () => {
    expect(violations(join(ROOT, INPUT_SOURCE), 'Date.now(); process.hrtime.bigint();')).toEqual([]);
  });
});
