// The one table of command-line options. It feeds commander (src/cli), the
// --help text and the OPTIONS section of the man pages (scripts/gen-man-options.mjs),
// so the three cannot drift. Machine options are shared by run, record,
// replay and ft-check; run-only options report or route the output of a run.

import { DEFAULT_ATA_TIMING, type AtaTiming } from '../devices/ata.js';
import type { IoDelivery } from '../machine/scheduler.js';
import { DEFAULT_JIT_THRESHOLD, type ClockMode, type MachineConfig, type RtcBase } from '../machine/config.js';
import { defaultRtcBase, parseRtcBase, parseSeed } from './rtc-seed.js';
import {
  MiB, OptionError, parseClock, parseCount, parseDebugcon, parseDiskLatency, parseDiskSectorTime, parseExitCodeMode,
  parseGdbAddress, parseIoDelivery, parseJitThreshold, parseMhz, parseRamSize, parseTlbPower,
  type DebugconRoute, type ExitCodeMode, type GdbAddress,
} from './option-values.js';

export * from './option-values.js';

/** Machine flags as parsed: the same for every command that runs a guest (machine/config.ts is what they build). */
export interface MachineFlags {
  ram: number;
  bios?: string;
  debugcon: DebugconRoute[];
  maxInsns?: number;
  append: string;
  initrd?: string;
  clock: ClockMode;
  mhz: number;
  serialIn?: string;
  /** --keys FILE: keystrokes for the PS/2 keyboard. */
  keys?: string;
  /** --vga-rom FILE: a VGA BIOS for --bios firmware. */
  vgaRom?: string;
  disk?: string;
  diskWritable: boolean;
  diskLatency: number;
  diskSectorTime: number;
  ioDelivery: IoDelivery;
  tlbEntries: number;
  tlbWays: number;
  tlbTracking: boolean;
  /** --rtc-base (absent: defaultRtcBase). */
  rtcBase?: RtcBase;
  /** --seed (absent: the host's RNG). */
  seed?: number;
  /** --no-jit and --jit-threshold (engine options; absent, as for commands without them: the default engine). */
  jit?: boolean;
  jitThreshold?: number;
}

/** The CPU engine options: run, record, replay, ft-check and ft-secondary have them. */
export type EngineFlags = Pick<MachineFlags, 'jit' | 'jitThreshold'>;

/** Options only `vmrr run` has. */
export interface RunOnlyOptions {
  json: boolean;
  serial?: string;
  /** --screen FILE: the final VGA text screen. */
  screen?: string;
  exitCode: ExitCodeMode;
  gdb?: GdbAddress;
}

export type OptionKey = keyof MachineFlags | keyof RunOnlyOptions;

export interface OptionSpec {
  /** Property name in the parsed options (commander's camel case of the flag). */
  key: OptionKey;
  flag: `--${string}`;
  /** Metavariable for the value, e.g. SIZE; absent for a switch. */
  value?: string;
  /** Parsed default (undefined: none). */
  default?: unknown;
  /** How the default is written in help and man pages. */
  defaultText?: string;
  repeatable?: boolean;
  /** machine: every command that builds a guest from flags; engine: also replay and ft-secondary; run: run only. */
  scope: 'machine' | 'engine' | 'run';
  /** One line for --help. */
  summary: string;
  /** Extra text for the man page, after the summary. */
  details?: string;
  parse?: (raw: string, previous: unknown) => unknown;
}


/** The ATA service-time model of parsed options (absent values: the defaults, for callers that build options by hand). */
export function diskTimingOf(o: Partial<Pick<MachineFlags, 'diskLatency' | 'diskSectorTime'>>): AtaTiming {
  return { commandNs: o.diskLatency ?? DEFAULT_ATA_TIMING.commandNs, sectorNs: o.diskSectorTime ?? DEFAULT_ATA_TIMING.sectorNs };
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'ram',
    flag: '--ram',
    value: 'SIZE',
    default: 32 * MiB,
    defaultText: '32M',
    scope: 'machine',
    summary: 'guest RAM size, with a K, M or G suffix (no suffix: MiB)',
    details: 'From 2M to 3G, a multiple of 4K. Sizes are powers of 1024, as QEMU\'s -m.',
    parse: parseRamSize,
  },
  {
    key: 'bios',
    flag: '--bios',
    value: 'FILE',
    scope: 'machine',
    summary: 'boot a raw ROM image instead of a Multiboot IMAGE, as QEMU\'s -bios',
    details:
      'The image must be a multiple of 64K. It is mapped ending at 4 GiB and its last 128K ' +
      '(all of a 64K image) ending at 1 MiB; the CPU starts at the reset vector F000:FFF0 in real mode.',
  },
  {
    key: 'debugcon',
    flag: '--debugcon',
    value: 'PORT:FILE',
    default: [],
    repeatable: true,
    scope: 'machine',
    summary: 'write the bytes the guest sends to I/O port PORT to FILE (repeatable)',
    details:
      'Like QEMU\'s isa-debugcon; PORT is hex (0x402) or decimal. Without it, port 0xE9 ' +
      'writes to standard output; with PORT 0xE9 they go to FILE instead.',
    parse: parseDebugcon,
  },
  {
    key: 'maxInsns',
    flag: '--max-insns',
    value: 'N',
    scope: 'machine',
    summary: 'stop after N guest instructions (a guest failure: exit status 3)',
    details: 'N counts retired instructions, each iteration of a REP string instruction as one; 5e8 and 500_000_000 are accepted.',
    parse: parseCount,
  },
  {
    key: 'append',
    flag: '--append',
    value: 'CMDLINE',
    default: '',
    defaultText: 'empty',
    scope: 'machine',
    summary: 'kernel command line passed in the Multiboot information or the Linux boot parameters',
    details:
      'As with QEMU, a Multiboot kernel sees "IMAGE CMDLINE": the image path as given, a space, then CMDLINE; ' +
      'a Linux kernel (bzImage) sees CMDLINE alone.',
  },
  {
    key: 'initrd',
    flag: '--initrd',
    value: 'FILE',
    scope: 'machine',
    summary: 'initial ramdisk for a Linux kernel (bzImage), as qemu-system-i386 -initrd',
    details:
      'Loaded at the top of RAM below the kernel\'s initrd_addr_max (page-aligned, 128 KiB below the end, as QEMU) and passed ' +
      'in the boot parameters. Replay reads FILE again from the path the log holds (its bytes are not hashed in the log: a changed file makes the replay diverge). Only for Linux kernels.',
  },
  {
    key: 'clock',
    flag: '--clock',
    value: 'MODE',
    default: 'host',
    defaultText: 'host',
    scope: 'machine',
    summary: 'guest time: host (the host\'s monotonic clock) or virtual (derived from the instruction count)',
    details:
      'Guest time drives the PIT, the RTC, RDTSC and device service times. With virtual, guest time is ' +
      'icount/MHz plus the time skipped while the CPU idles in HLT, so a run is reproducible without a log; ' +
      'with host, time passes as on a real machine and idle HLT sleeps. See docs/platform.md.',
    parse: parseClock,
  },
  {
    key: 'mhz',
    flag: '--mhz',
    value: 'N',
    default: 1000,
    defaultText: '1000',
    scope: 'machine',
    summary: 'nominal CPU speed in MHz: the TSC rate, and instructions per microsecond with --clock virtual',
    parse: parseMhz,
  },
  {
    key: 'serialIn',
    flag: '--serial-in',
    value: 'FILE',
    scope: 'machine',
    summary: 'feed COM1\'s receiver from FILE, or from standard input with -',
    details:
      'Bytes are delivered at the programmed line rate whenever the UART has room (no overruns). ' +
      'With --clock virtual the guest waits for input that has not arrived yet.',
  },
  {
    key: 'keys',
    flag: '--keys',
    value: 'FILE',
    scope: 'machine',
    summary: 'type the bytes of FILE (or standard input with -) on the PS/2 keyboard, one key per byte',
    details:
      'Letters, digits, punctuation, space, Tab, Enter (LF or CR), Backspace and Esc (0x1B); Shift is pressed ' +
      'around upper case and shifted symbols; a NUL byte types nothing and waits 1 s of guest time; other ' +
      'bytes are skipped. Keys come once the guest has enabled the keyboard (command 0xF4), 10 ms of guest time ' +
      'apart, each when the i8042 output buffer is empty; a record logs them as key events (log format 3), and ' +
      'ft-check streams them to its secondary the same way (not with --secondary).',
  },
  {
    key: 'vgaRom',
    flag: '--vga-rom',
    value: 'FILE',
    scope: 'machine',
    summary: 'with --bios, offer FILE to the firmware as its VGA BIOS (fw_cfg vgaroms/vgabios.bin, as QEMU\'s isa-vga)',
    details:
      'SeaBIOS runs it as an option ROM; Debian\'s seabios package has one for this VGA (vgabios-isavga.bin), which ' +
      'sets text mode 3 and serves INT 10h, so the firmware\'s and the boot sector\'s INT 10h text reaches the screen ' +
      '(--screen). The path is recorded in a log\'s header and read again on replay (and by an ft-check secondary).',
  },
  {
    key: 'disk',
    flag: '--disk',
    value: 'FILE',
    scope: 'machine',
    summary: 'attach FILE as the ATA disk on the primary IDE channel (master)',
    details:
      'A raw image whose size is a multiple of 512 bytes, as QEMU\'s -drive file=FILE,format=raw,if=ide. ' +
      'Guest writes go to a copy-on-write overlay in memory and are discarded at exit unless --disk-writable.',
  },
  {
    key: 'diskWritable',
    flag: '--disk-writable',
    default: false,
    scope: 'machine',
    summary: 'write the guest\'s disk writes back to the --disk FILE when the run ends',
    details:
      'The new image is built in a temporary file beside FILE and renamed over it, so FILE is always ' +
      'either the old image or the new one, even if vmrr is killed.',
  },
  {
    key: 'diskLatency',
    flag: '--disk-latency',
    value: 'NS',
    default: 20_000,
    defaultText: '20us',
    scope: 'machine',
    summary: 'nominal per-command overhead of the ATA disk, in guest time (ns, or with us, ms or s)',
    details:
      'The service-time model: a command completes this long after it is issued, plus --disk-sector-time ' +
      'for each sector it moves. From 0 to 10s. See docs/completion-interrupts.md.',
    parse: parseDiskLatency,
  },
  {
    key: 'diskSectorTime',
    flag: '--disk-sector-time',
    value: 'NS',
    default: 2_000,
    defaultText: '2us',
    scope: 'machine',
    summary: 'nominal transfer time of each 512-byte sector, in guest time (ns, or with us, ms or s)',
    details: 'From 0 to 10s.',
    parse: parseDiskSectorTime,
  },
  {
    key: 'ioDelivery',
    flag: '--io-delivery',
    value: 'MODE',
    default: 'safepoint',
    defaultText: 'safepoint',
    scope: 'machine',
    summary: 'when disk completion interrupts come: safepoint (as soon as the guest can take them) or nominal',
    details:
      'A completion is never delivered before the host has done the I/O, nor while the previous one\'s IRQ 14 ' +
      'is in service at the PIC. With nominal it comes at the nominal completion time (--disk-latency, ' +
      '--disk-sector-time); with safepoint also earlier, as soon as the guest idles in HLT with interrupts ' +
      'enabled or polls the status register. With --clock virtual the guest then waits for the host with ' +
      'time standing still, so runs stay reproducible. Recorded in the log; replay needs no host I/O timing.',
    parse: parseIoDelivery,
  },
  {
    key: 'tlbEntries',
    flag: '--tlb-entries',
    value: 'N',
    default: 4096,
    defaultText: '4096',
    scope: 'machine',
    summary: 'entries in the software TLB (a power of two, 1 to 1048576)',
    details:
      'With the T-bit tracking on (the default) the size changes speed only: guest page-table writes ' +
      'invalidate the translations built from them, so what the guest sees never depends on the TLB.',
    parse: (raw) => parseTlbPower('--tlb-entries', raw, 1 << 20),
  },
  {
    key: 'tlbWays',
    flag: '--tlb-ways',
    value: 'W',
    default: 1,
    defaultText: '1 (direct-mapped)',
    scope: 'machine',
    summary: 'TLB associativity: ways per set (a power of two, at most 64 and at most --tlb-entries)',
    parse: (raw) => parseTlbPower('--tlb-ways', raw, 64),
  },
  {
    key: 'tlbTracking',
    flag: '--no-tlb-tracking',
    default: true,
    defaultText: 'tracking on',
    scope: 'machine',
    summary: 'turn off the T-bit tracking: a PTE rewritten without INVLPG may then be seen stale or not, by TLB size',
    details:
      'Shows the non-determinism the tracking removes: the guest\'s view then depends on the TLB ' +
      'geometry and on when vmrr flushes its TLB, so a log recorded with one geometry can diverge on replay with another.',
  },
  {
    key: 'rtcBase',
    flag: '--rtc-base',
    value: 'BASE',
    defaultText: 'SOURCE_DATE_EPOCH if set, else 2000-01-01T00:00:00 with --clock virtual, utc with host',
    scope: 'machine',
    summary: 'where the RTC starts: utc, localtime, or a date like 2006-06-17T16:01:21, as QEMU\'s -rtc base=',
    details:
      'The RTC then advances with guest time. utc and localtime read the host\'s time once, at power-on; ' +
      'a date (read as the time the RTC shows) makes the run independent of when it happens. The value read ' +
      'is recorded in the log header, so replay needs no option.',
    parse: parseRtcBase,
  },
  {
    key: 'seed',
    flag: '--seed',
    value: 'N',
    scope: 'machine',
    summary: 'take RDRAND/RDSEED values from a generator seeded with N (0 to 4294967295) instead of the host\'s RNG',
    details:
      'With --clock virtual and a fixed --rtc-base (the default there), two runs with the same seed are ' +
      'bit-identical: the same guest output, state hashes and log after its header. The values are reproducible, ' +
      'not secret. Recorded values are in the log, so replay needs no option.',
    parse: parseSeed,
  },
  {
    key: 'jit',
    flag: '--no-jit',
    default: true,
    defaultText: 'the block compiler on',
    scope: 'engine',
    summary: 'run the guest on the interpreter only, without the block compiler',
    details:
      'The block compiler translates guest code run often into JavaScript; both engines execute the guest ' +
      'identically (the same output, instruction counts and state hashes), so the engine is not recorded: a log ' +
      'recorded with either replays with either. See docs/jit-design.md.',
  },
  {
    key: 'jitThreshold',
    flag: '--jit-threshold',
    value: 'N',
    defaultText: String(DEFAULT_JIT_THRESHOLD),
    scope: 'engine',
    summary: 'compile guest code to JavaScript once an instruction has been interpreted N times (0: never, as --no-jit)',
    details: 'From 0 to 1000000000. A lower N compiles sooner and more; it changes speed only.',
    parse: (raw) => parseJitThreshold('--jit-threshold', raw),
  },
  {
    key: 'json',
    flag: '--json',
    default: false,
    scope: 'run',
    summary: 'print one JSON summary object on standard output (see docs/cli-json.md)',
    details: 'Guest output then stays off standard output: it goes to the --serial file, or nowhere.',
  },
  {
    key: 'serial',
    flag: '--serial',
    value: 'FILE',
    scope: 'run',
    summary: 'write guest COM1 and port 0xE9 output to FILE instead of standard output',
  },
  {
    key: 'screen',
    flag: '--screen',
    value: 'FILE',
    scope: 'run',
    summary: 'when the run ends, write the VGA text screen to FILE (UTF-8, one line per row)',
    details:
      'The text page the CRT controller shows (80x25 at 0xB8000 unless the guest programmed another start ' +
      'address or size), code page 437 turned into UTF-8, trailing blanks and blank lines dropped. A guest in ' +
      'a graphics mode gets one line saying so. See docs/platform.md.',
  },
  {
    key: 'exitCode',
    flag: '--exit-code',
    value: 'MODE',
    default: 'vmrr',
    defaultText: 'vmrr',
    scope: 'run',
    summary: 'exit status: vmrr (0 normal end, 3 guest failure) or guest (pass isa-debug-exit through)',
    details:
      'With guest, an isa-debug-exit write of V exits with status (V<<1)|1 (only its low 8 bits ' +
      'reach the shell), as QEMU does; other ends keep their vmrr status.',
    parse: parseExitCodeMode,
  },
  {
    key: 'gdb',
    flag: '--gdb',
    value: '[HOST:]PORT',
    scope: 'run',
    summary: 'stop at the first instruction and wait for gdb on TCP PORT (HOST: loopback unless given)',
    details:
      'Prints "waiting for gdb on HOST:PORT" on standard error (PORT 0: any free port, the one printed). ' +
      'Connect with gdb -ex "set architecture i386" -ex "target remote :PORT". When gdb detaches the guest ' +
      'runs on to its end; kill ends the run (reason interrupted). See docs/gdb.md.',
    parse: parseGdbAddress,
  },
];

export const MACHINE_OPTIONS = OPTIONS.filter((o) => o.scope === 'machine');
export const ENGINE_OPTIONS = OPTIONS.filter((o) => o.scope === 'engine');
export const RUN_OPTIONS = OPTIONS.filter((o) => o.scope === 'run');

/** The flag as commander wants it: `--ram <size>`. */
export function commanderFlags(spec: OptionSpec): string {
  return spec.value ? `${spec.flag} <${spec.value.toLowerCase()}>` : spec.flag;
}

/** Parsed options with every absent one set to its table default. */
export function applyDefaults(parsed: Record<string, unknown>, specs: readonly OptionSpec[] = OPTIONS): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parsed };
  for (const spec of specs) {
    if (out[spec.key] === undefined && spec.default !== undefined) out[spec.key] = spec.default;
  }
  return out;
}

/**
 * The block-compiler threshold --no-jit and --jit-threshold ask for (0: interpreter only).
 * Both given, with a threshold other than 0, contradict each other: a usage error.
 */
export function jitThresholdOf(f: EngineFlags): number {
  if (f.jit === false) {
    if (f.jitThreshold !== undefined && f.jitThreshold !== 0) {
      throw new OptionError(`--no-jit and --jit-threshold ${f.jitThreshold} contradict each other: give one`);
    }
    return 0;
  }
  return f.jitThreshold ?? DEFAULT_JIT_THRESHOLD;
}

/** The machine configuration the flags describe; `imageArg` is the image path as given; `env` for SOURCE_DATE_EPOCH. */
export function configFromFlags(f: MachineFlags, imageArg: string, env: Record<string, string | undefined> = process.env): MachineConfig {
  const ports = new Set<number>([0xe9]);
  for (const d of f.debugcon) ports.add(d.port);
  return {
    ram: f.ram,
    bios: f.bios !== undefined,
    append: f.append,
    initrd: f.initrd ?? '',
    imageArg,
    clock: f.clock,
    mhz: f.mhz,
    debugconPorts: [...ports],
    diskWritable: f.diskWritable,
    diskTiming: diskTimingOf(f),
    ioDelivery: f.ioDelivery ?? 'safepoint',
    tlbEntries: f.tlbEntries,
    tlbWays: f.tlbWays,
    tlbTracking: f.tlbTracking,
    rtcBase: f.rtcBase ?? defaultRtcBase(f.clock, env),
    seed: f.seed ?? null,
    fpu: true,
    keys: f.keys !== undefined,
    vgaRom: f.vgaRom ?? '',
    jitThreshold: jitThresholdOf(f),
  };
}
