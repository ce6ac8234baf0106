#!/usr/bin/env bash
# Fetch the real guests vmrr's acceptance tests boot (issue 17): Debian's
# i386 Linux kernel (linux-image-*-686, non-PAE), busybox-static:i386 and
# seabios, with apt; extract vmlinuz, bios.bin, vgabios-isavga.bin and busybox into a cache
# outside git (default .real-guests/, git-ignored; VMRR_REAL_GUESTS moves
# it) and build initrd.cpio, a tiny initramfs whose /init prints a marker
# line on the serial console, runs a few busybox commands and ends the run
# through isa-debug-exit (port 0xF4, via /dev/port), falling back to
# poweroff. Needs root (dpkg --add-architecture i386, apt-get update) and
# Debian's package archive; without them it says so and exits 1.
# Usage: scripts/fetch-real-guests.sh [--no-update]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${VMRR_REAL_GUESTS:-$root/.real-guests}"
mkdir -p "$cache/debs" "$cache/x"
cd "$cache/debs"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "fetch-real-guests: apt-get not found; this script needs a Debian-like host" >&2
    exit 1
fi
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    dpkg --add-architecture i386
    update=1
fi
if [ "${1:-}" != "--no-update" ] || [ -n "${update:-}" ]; then
    apt-get update -qq || { echo "fetch-real-guests: apt-get update failed (no network?)" >&2; exit 1; }
fi

# The newest 686 (non-PAE) kernel image package the archive has, e.g. linux-image-6.1.0-28-686.
kpkg="$(apt-cache search --names-only '^linux-image-[0-9].*-686$' | awk '{print $1}' | grep -v -- '-pae' | sort -V | tail -n1)"
[ -n "$kpkg" ] || { echo "fetch-real-guests: no linux-image-*-686 package found (is i386 enabled?)" >&2; exit 1; }
# linux-image-*-686 is arch i386 only; busybox-static must be the i386 build.
for p in "$kpkg:i386" busybox-static:i386 seabios; do
    apt-get download -q "$p" >/dev/null || { echo "fetch-real-guests: apt-get download $p failed" >&2; exit 1; }
done

rm -rf "$cache/x" && mkdir -p "$cache/x"
for d in *.deb; do dpkg-deb -x "$d" "$cache/x"; done
cp "$(ls "$cache"/x/boot/vmlinuz-* | head -n1)" "$cache/vmlinuz"
cp "$cache/x/usr/share/seabios/bios.bin" "$cache/bios.bin"
cp "$cache/x/usr/share/seabios/vgabios-isavga.bin" "$cache/vgabios-isavga.bin"
cp "$cache/x/bin/busybox" "$cache/busybox"
echo "$kpkg" > "$cache/kernel-package.txt"

cat > "$cache/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "VMRR-INIT: hello from /init"
/bin/busybox uname -a
/bin/busybox cat /proc/cmdline
/bin/busybox echo "VMRR-INIT: uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
/bin/busybox awk 'BEGIN { printf "VMRR-INIT: float %.3f\n", 2.5 * 1.25 }'
/bin/busybox echo "VMRR-INIT: done"
# isa-debug-exit: write 0 to port 0xF4 (vmrr and qemu -device isa-debug-exit exit with status 1)
/bin/busybox printf '\000' | /bin/busybox dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
/bin/busybox poweroff -f
INIT

node "$root/scripts/make-cpio.mjs" "$cache/initrd.cpio" \
    dir:bin dir:dev dir:proc dir:sys \
    "file:bin/busybox=$cache/busybox:755" \
    link:bin/sh=busybox \
    "file:init=$cache/init:755" \
    dev:dev/console=c:5:1 dev:dev/port=c:1:4 dev:dev/ttyS0=c:4:64 dev:dev/null=c:1:3

ls -l "$cache/vmlinuz" "$cache/bios.bin" "$cache/vgabios-isavga.bin" "$cache/busybox" "$cache/initrd.cpio"
echo "fetch-real-guests: kernel $kpkg; files in $cache"
