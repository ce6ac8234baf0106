// The --gdb option's contract: a bad address or a port in use is one usage
// line and exit status 2; --help mentions it; a replay that diverges under
// gdb stops with a console message saying what differed. And the ELF
// symbols in replay's report.
import { describe, it, expect, beforeAll } from 'vitest';
import { createServer } from 'node:net';
import { ensureBuilt, expectUsageError, tempFiles, vmrr } from '../cli/helpers.js';
import { haveGdb, runGdb, startVmrr } from './real-gdb.js';

describe('--gdb on the command line', () => {
  beforeAll(() => ensureBuilt());

  it('rejects a bad [HOST:]PORT and a port in use with one line, status 2', async () => {
    expectUsageError(vmrr(['run', 'fixtures/gdb-demo.elf', '--gdb', 'nope']), /--gdb: 'nope' is not \[HOST:\]PORT/, expect);
    expectUsageError(vmrr(['run', 'fixtures/gdb-demo.elf', '--gdb', '70000']), /--gdb: '70000'/, expect);
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const r = await new Promise<ReturnType<typeof vmrr>>((res) => setImmediate(() => res(vmrr(['run', 'fixtures/gdb-demo.elf', '--gdb', String(port)]))));
    busy.close();
    expectUsageError(r, /--gdb: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/, expect);
  });

  it('is in --help of run and replay', () => {
    expect(vmrr(['help', 'run']).stdout).toMatch(/--gdb <\[host:\]port>/);
    expect(vmrr(['help', 'replay']).stdout).toMatch(/--gdb <\[host:\]port>\s+wait at icount 0 for gdb[\s\S]*reverse\s+execution/);
  });

  it('replay names function+offset beside an EIP when the image is an ELF with symbols', () => {
    const log = tempFiles({}).path('s.vmrr');
    expect(vmrr(['record', 'fixtures/gdb-demo.elf', '--clock', 'virtual', '-o', log]).status).toBe(0);
    const r = vmrr(['replay', log, '--to', '1000']);
    expect(r.stderr).toMatch(/replay reached icount 1000, EIP 0x[0-9a-f]{8} <[\w.]+(\+0x[0-9a-f]+)?> /);
  });

  it('diff and inspect name function+offset too (text and diff --json)', () => {
    const t = tempFiles({});
    const [a, b] = [t.path('a.vmrr'), t.path('b.vmrr')];
    // Host clock: the two runs take their timer interrupts at different icounts.
    for (const log of [a, b]) expect(vmrr(['record', 'fixtures/gdb-demo.elf', '-o', log]).status).toBe(0);
    const d = vmrr(['diff', a, b, '--json']);
    const j = JSON.parse(d.stdout);
    if (j.identical) return; // two host-clock runs that happened to agree: nothing to name
    expect(j.symbol).toMatch(/^[\w.]+(\+0x[0-9a-f]+)?$/);
    expect(vmrr(['diff', a, b]).stdout).toContain(`<${j.symbol}>: `);
    expect(vmrr(['inspect', a]).stdout).toMatch(/EIP\s+0x[0-9a-f]{8} <[\w.]+(\+0x[0-9a-f]+)?>/);
  });

  it.skipIf(!haveGdb)('a replay that diverges under gdb stops and says what differed', async () => {
    const t = tempFiles({});
    const log = t.path('d.vmrr');
    expect(vmrr(['record', 'fixtures/gdb-demo.elf', '--clock', 'virtual', '-o', log, '--sync-every', '100000']).status).toBe(0);
    // Another image under the same log: the replay parts from it at once.
    const v = await startVmrr(['replay', log, '--image', 'fixtures/bitops.elf', '--force', '--gdb', '0']);
    const g = await runGdb(v.port, ['continue', 'monitor when', 'detach']);
    expect(g.out).toMatch(/vmrr: the replay diverged at icount \d+: /);
    expect(g.out).toMatch(/diverged: /); // monitor when repeats it
    await v.done;
  }, 60_000);
});
