// The fuzzer's seed logs: small real recordings made with the CLI, with sync
// points and checkpoints close together so mutations reach them quickly.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadCorpus, type Corpus } from './harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function makeCorpus(): Corpus {
  const dir = mkdtempSync(join(tmpdir(), 'vmrr-fuzz-corpus-'));
  const rec = (args: string[]): void => {
    execFileSync(process.execPath, [join(ROOT, 'bin', 'vmrr.js'), 'record', ...args], { cwd: ROOT, stdio: 'ignore' });
  };
  const disk = join(dir, 'disk.img');
  copyFileSync(join(ROOT, 'fixtures', 'ata-disk.img'), disk);
  const logs = [
    { name: 'nondet', image: 'fixtures/nondet.mb', args: ['--clock', 'virtual', '--sync-every', '20000', '--checkpoint-every', '40000'] },
    { name: 'ata', image: 'fixtures/ata.mb', args: ['--clock', 'virtual', '--disk', disk, '--sync-every', '30000', '--checkpoint-every', '60000', '--nd-buffer', '16'] },
    { name: 'uart', image: 'fixtures/uart.mb', args: ['--clock', 'virtual', '--sync-every', '5000', '--checkpoint-every', '10000'] },
  ];
  const entries = logs.map((l) => {
    const path = join(dir, `${l.name}.vmrr`);
    rec([join(ROOT, l.image), '-o', path, ...l.args]);
    return { name: l.name, path, image: join(ROOT, l.image) };
  });
  return loadCorpus(entries);
}
