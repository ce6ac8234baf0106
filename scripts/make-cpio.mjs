#!/usr/bin/env node
// Write a gzip-compressed newc cpio archive (an initramfs) from a list of
// entries, without needing cpio(1): node scripts/make-cpio.mjs OUT ENTRY...
// where ENTRY is "dir:PATH", "file:PATH=HOSTFILE:MODE" (MODE octal),
// "link:PATH=TARGET" or "dev:PATH=c:MAJOR:MINOR".
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const [out, ...specs] = process.argv.slice(2);
if (!out || specs.length === 0) {
  console.error('usage: make-cpio.mjs OUT dir:PATH | file:PATH=HOSTFILE:MODE | link:PATH=TARGET | dev:PATH=c:MAJ:MIN ...');
  process.exit(2);
}
const parts = [];
let ino = 1;
const hex8 = (n) => n.toString(16).padStart(8, '0');
function entry(name, mode, data = Buffer.alloc(0), rdev = [0, 0]) {
  const nameBuf = Buffer.from(name + '\0');
  const fields = [0x070701 /* placeholder */, ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
  const head = '070701' + fields.slice(1).map(hex8).join('');
  const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  parts.push(Buffer.from(head), nameBuf, pad(110 + nameBuf.length), data, pad(data.length));
}
for (const s of specs) {
  const [kind, rest] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1)];
  if (kind === 'dir') entry(rest, 0o040755);
  else if (kind === 'file') {
    const [path, host] = rest.split('=');
    const [hostFile, mode] = host.split(':');
    entry(path, 0o100000 | parseInt(mode ?? '644', 8), readFileSync(hostFile));
  } else if (kind === 'link') {
    const [path, target] = rest.split('=');
    entry(path, 0o120777, Buffer.from(target));
  } else if (kind === 'dev') {
    const [path, dev] = rest.split('=');
    const [type, maj, min] = dev.split(':');
    entry(path, (type === 'b' ? 0o060000 : 0o020000) | 0o600, Buffer.alloc(0), [Number(maj), Number(min)]);
  } else {
    console.error(`make-cpio: unknown entry ${s}`);
    process.exit(2);
  }
}
entry('TRAILER!!!', 0);
writeFileSync(out, gzipSync(Buffer.concat(parts)));
