// biome lint (rules only) over the tree, as .ci/run runs it: a lint error
// fails `npm test` here, not only CI.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('biome lint', () => {
  it('reports no errors', () => {
    const r = spawnSync(process.execPath, [`${root}node_modules/@biomejs/biome/bin/biome`, 'lint', '--max-diagnostics=20'], { cwd: root, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-4000)).toBe(0);
  }, 60_000);
});
