#!/usr/bin/env bash
# Regenerate the QEMU reference outputs of fixtures/mbr-boot.img under Debian's
# SeaBIOS (scripts/fetch-real-guests.sh first): COM1 into
# fixtures/expected/mbr-boot.serial, and the text screen with SeaVGABIOS on an
# ISA VGA (-device isa-vga, the ROM QEMU offers as vgaroms/) into
# fixtures/expected/mbr-boot.isavga.screen, read through the monitor's xp of
# 0xB8000 after the boot sector halted (no isa-debug-exit, so it stays).
# Usage: scripts/mbr-boot-qemu-ref.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
g="${VMRR_REAL_GUESTS:-$root/.real-guests}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d+bytes((1<<20)-len(d)))" "$root/fixtures/mbr-boot.img" "$tmp/disk.img"
common=(-M pc -m 32 -bios "$g/bios.bin" -display none -nic none -drive "file=$tmp/disk.img,format=raw,if=ide,snapshot=on" -boot menu=on)
timeout 60 qemu-system-i386 "${common[@]}" -vga none -serial "file:$root/fixtures/expected/mbr-boot.serial" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -monitor none || true
(sleep 8; echo "xp /2000hx 0xb8000"; sleep 1; echo quit) |
    timeout 60 qemu-system-i386 "${common[@]}" -vga none -device isa-vga -serial null -monitor stdio >"$tmp/xp.txt" 2>&1 || true
python3 - "$tmp/xp.txt" "$root/fixtures/expected/mbr-boot.isavga.screen" <<'PY'
import re, sys
words = []
for line in open(sys.argv[1], errors='replace'):
    m = re.match(r'^00000000000b[0-9a-f]+: (.*)$', line.strip())
    if m:
        words += [int(w, 16) for w in m.group(1).split()]
chars = [w & 0xff for w in words[:2000]]
lines = [''.join(chr(c) if 32 <= c < 127 else ' ' for c in chars[r * 80:(r + 1) * 80]).rstrip() for r in range(25)]
while lines and lines[-1] == '':
    lines.pop()
open(sys.argv[2], 'w').write(''.join(l + '\n' for l in lines))
PY
echo "mbr-boot-qemu-ref: wrote fixtures/expected/mbr-boot.serial and mbr-boot.isavga.screen"
