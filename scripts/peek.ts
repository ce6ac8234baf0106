// Developer helper: disassemble guest memory around an address after loading an image.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Machine } from '../src/machine/machine.js';
import { loadMultiboot } from '../src/machine/loaders.js';
import { HostInputSource } from '../src/replay/input-source.js';
const [file, addrS] = process.argv.slice(2);
const addr = Number(addrS);
const ram = 32 << 20;
const m = new Machine({ ramBytes: ram, input: new HostInputSource() });
m.load(loadMultiboot(new Uint8Array(readFileSync(file)), ram, ''));
const start = addr - 16;
writeFileSync('/tmp/peek.bin', m.readPhys(start, 48));
process.stdout.write(execFileSync('objdump', ['-D', '-b', 'binary', '-mi386', '-Mintel', `--adjust-vma=${start}`, '/tmp/peek.bin']).toString().split('\n').slice(7).join('\n'));
