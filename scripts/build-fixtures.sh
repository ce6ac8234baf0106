#!/usr/bin/env bash
# Rebuild every vmrr test fixture image from its NASM source.
#   fixtures/src/*.asm  ->  fixtures/<name>.mb   (Multiboot, a.out-kludge flat)
#                           fixtures/<name>.elf  (Multiboot ELF32, via ld)
#                           fixtures/<name>.rom  (raw BIOS image)
#                           fixtures/<name>.img  (raw disk image, for --disk)
# Which form a source gets is given by its first line tag, e.g.
#   ; @format elf     (default: mb)
# Usage: scripts/build-fixtures.sh [name...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/fixtures/src"
out="$root/fixtures"

if ! command -v nasm >/dev/null 2>&1; then
    echo "build-fixtures: nasm not found; install it (e.g. apt-get install nasm)" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$src"/*.asm; do names+=("$(basename "$f" .asm)"); done
fi

for name in "${names[@]}"; do
    asm="$src/$name.asm"
    [ -f "$asm" ] || { echo "build-fixtures: no such source $asm" >&2; exit 1; }
    fmt="$(sed -n 's/^; *@format *\([a-z]*\).*/\1/p' "$asm" | head -n1)"
    fmt="${fmt:-mb}"
    inc=(-I "$src/inc/" -I "$src/gen/" -I "$src/")
    case "$fmt" in
    mb)
        nasm -f bin -w+all "${inc[@]}" -o "$out/$name.mb" "$asm"
        echo "built fixtures/$name.mb"
        ;;
    elf)
        if ! command -v ld >/dev/null 2>&1; then
            echo "build-fixtures: ld (binutils) not found; needed for $name.elf" >&2
            exit 1
        fi
        nasm -f elf32 -DFMT_ELF -w+all "${inc[@]}" -o "$tmp/$name.o" "$asm"
        ld -m elf_i386 -T "$src/inc/elf.ld" --no-warn-rwx-segments -o "$out/$name.elf" "$tmp/$name.o" 2>/dev/null \
            || ld -m elf_i386 -T "$src/inc/elf.ld" -o "$out/$name.elf" "$tmp/$name.o"
        echo "built fixtures/$name.elf"
        ;;
    rom)
        nasm -f bin -w+all "${inc[@]}" -o "$out/$name.rom" "$asm"
        echo "built fixtures/$name.rom"
        ;;
    img)
        nasm -f bin -w+all "${inc[@]}" -o "$out/$name.img" "$asm"
        echo "built fixtures/$name.img"
        ;;
    *)
        echo "build-fixtures: unknown @format '$fmt' in $asm" >&2
        exit 1
        ;;
    esac
done
