#!/usr/bin/env bash
# Regenerate the QEMU reference output of the x87 random fixtures:
#   fixtures/fpu-random.mb  -> fixtures/expected/fpu-random.txt
#   fixtures/fpu-rand80.mb  -> fixtures/expected/fpu-rand80.txt
# by running each image under qemu-system-i386 (TCG) and keeping its serial
# output.  test/cpu/fpu-random.test.ts and fpu-rand80.test.ts compare vmrr
# with these stored files, so the tests need no QEMU.
# Usage: scripts/fpu-qemu-ref.sh [--qemu PATH] [name...]   (default: both)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
qemu=qemu-system-i386
if [ "${1:-}" = "--qemu" ]; then qemu="$2"; shift 2; fi
command -v "$qemu" >/dev/null 2>&1 || { echo "fpu-qemu-ref: $qemu not found" >&2; exit 1; }
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(fpu-random fpu-rand80)

for name in "${names[@]}"; do
    "$root/scripts/build-fixtures.sh" "$name" >/dev/null
    out="$root/fixtures/expected/$name.txt"
    status=0
    timeout 600 "$qemu" -kernel "$root/fixtures/$name.mb" -serial stdio -display none -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot -m 32 >"$out.tmp" || status=$?
    # isa-debug-exit: the guest's 0 (all passed) is status 1.
    if [ "$status" -ne 1 ]; then
        echo "fpu-qemu-ref: $name: QEMU exit status $status (want 1); $out left unchanged" >&2
        rm -f "$out.tmp"
        exit 1
    fi
    mv "$out.tmp" "$out"
    echo "fpu-qemu-ref: $name: $(wc -l <"$out") lines from $("$qemu" --version | head -n1)"
done
