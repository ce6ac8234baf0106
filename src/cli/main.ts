// The vmrr command line: with terminal.ts, the only module that reads argv,
// writes to the process's streams, colours text, spins spinners and exits.
// Each command is a plain async function in its own module, imported only
// when it runs so that `vmrr --version` starts fast.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { paintErr, paintOut } from './colour.js';
import { OPTIONS, ENGINE_OPTIONS, applyDefaults, commanderFlags, jitThresholdOf, parseGdbAddress, parseJitThreshold, parseTlbPower, type EngineFlags, type GdbAddress, type OptionSpec } from './options.js';
import { EXIT_DIVERGENCE, EXIT_SUPERSEDED, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_SIGPIPE, EXIT_TERMINATED, EXIT_USAGE, UsageError, isUserError, runExitStatus } from './exit.js';
import { parseInjection, parseLoose } from '../ft/inject.js';
import type { RunOptions } from './run.js';
import { jsonText } from './json-out.js';
import { addClusterCommands } from './cluster-commands.js';
import { interrupt, plural, reportStop, reportUnclaimed, say, sayError, sayStopped, stoppedBySignal, withInterrupt, withProgress } from './terminal.js';

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;



const EXIT_STATUS_HELP = `
Exit status:
  0  the guest ended normally (isa-debug-exit)
  2  bad usage or a bad image
  3  the guest failed (triple fault, instruction limit reached)
  4  the guest halted for good (HLT with interrupts off, or nothing left to wake it)
  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM
  with --exit-code guest, an isa-debug-exit write of V gives (V<<1)|1

See man vmrr-run(1), docs/cli-json.md for --json.`;

function commanderOption(spec: OptionSpec): Option {
  const text = spec.defaultText ? `${spec.summary} (default: ${spec.defaultText})` : spec.summary;
  const opt = new Option(commanderFlags(spec), text);
  if (spec.parse) opt.argParser((raw: string, previous: unknown) => spec.parse!(raw, previous));
  return opt;
}

/** The TLB options given to replay or diff, or undefined when none was. */
function tlbOverrides(p: Record<string, unknown>): { entries?: number; ways?: number; tracking?: boolean } | undefined {
  const t = { entries: p.tlbEntries as number | undefined, ways: p.tlbWays as number | undefined, tracking: p.tlbTracking === false ? false : undefined };
  return t.entries === undefined && t.ways === undefined && t.tracking === undefined ? undefined : t;
}

/** A whole-number option value in [min, max]; underscores and 5e8 forms allowed. */
function intArg(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const s = raw.replace(/_/g, '');
    const n = /^\d+$/.test(s) || /^\d+(\.\d+)?e\d+$/i.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag}: '${raw}' is not a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one vmrr line. */
function oneLine(commanderText: string): string {
  return commanderText.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ');
}

function buildProgram(setStatus: (status: number) => void): Command {
  const program = new Command('vmrr')
    .description('Record and replay x86 guests, with a bundled IA-32 emulator.')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text) => sayError(oneLine(text)) })
    .addHelpText('after', '\nSee man vmrr(1).');

  const run = program
    .command('run')
    .summary('run a guest until it exits, halts, fails or reaches the instruction limit')
    .description(
      'Run a Multiboot kernel (ELF32 or a.out kludge) or a Linux bzImage (with --initrd, --append) as qemu-system-i386 -kernel IMAGE would, ' +
        'or a raw ROM image with --bios FILE. Guest COM1 and port 0xE9 output go to standard output.',
    )
    .argument('[image]', 'Multiboot kernel image')
    .addHelpText('after', EXIT_STATUS_HELP)
    .action(async (image: string | undefined, parsed: Record<string, unknown>) => {
      const { runCommand } = await import('./run.js');
      const opts = applyDefaults(parsed) as unknown as RunOptions;
      const summary = await withInterrupt((signal) =>
        withProgress(opts.json, 'running', image ?? opts.bios ?? '', (t) => runCommand(image, opts, { ...t, signal })),
      );
      if (opts.json) process.stdout.write(jsonText(summary) + '\n');
      if (!opts.json || summary.reason === 'interrupted') reportStop(summary);
      if (!opts.json) reportUnclaimed(summary.unclaimedPorts);
      setStatus(runExitStatus(summary.reason, summary.exitValue, opts.exitCode));
    });
  for (const spec of OPTIONS) run.addOption(commanderOption(spec));

  const record = program
    .command('record')
    .summary('run a guest like run, logging every non-deterministic input to a log')
    .description('Run IMAGE as `vmrr run` does (guest output on standard output) and write every value that crosses the input source to LOG.')
    .argument('[image]', 'Multiboot kernel image')
    .requiredOption('-o, --output <log>', 'the log file to write (.vmrr)')
    .option('--nd-buffer <n>', 'entries in the RDTSC/RDRAND/RDSEED buffer', intArg('--nd-buffer', 1, 1 << 20), 4096)
    .option('--sync-every <n>', 'instructions between state-hash sync points (0: none)', intArg('--sync-every', 0), 10_000_000)
    .option('--checkpoint-every <n>', 'instructions between checkpoints (0: none)', intArg('--checkpoint-every', 0), 100_000_000)
    .option('--json', 'print one JSON summary on standard output (see docs/cli-json.md)')
    .option('--serial <file>', 'write guest COM1 and port 0xE9 output to FILE instead of standard output')
    .option('--screen <file>', 'when the run ends, write the VGA text screen to FILE (UTF-8, one line per row)')
    .addHelpText('after', '\nExit status:\n  0  the guest ended normally (isa-debug-exit)\n  2  bad usage, a bad image, an unwritable log\n  3  the guest failed (triple fault, instruction limit)\n  4  the guest halted for good (HLT with interrupts off)\n  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM (the log is kept, marked incomplete)\n\nSee man vmrr-record(1).')
    .action(async (image: string | undefined, parsed: Record<string, unknown>) => {
      const { recordCommand } = await import('./record.js');
      const opts = applyDefaults(parsed) as unknown as import('./record.js').RecordOptions;
      const summary = await withInterrupt((signal) =>
        withProgress(Boolean(opts.json), 'recording', image ?? opts.bios ?? '', (t) =>
          recordCommand(image, { ...opts, json: Boolean(opts.json) }, { ...t, signal }),
        ),
      );
      if (opts.json) process.stdout.write(jsonText(summary) + '\n');
      if (!opts.json || summary.reason === 'interrupted') reportStop(summary, opts.output);
      if (!opts.json) reportUnclaimed(summary.unclaimedPorts);
      setStatus(runExitStatus(summary.reason, summary.exitValue, 'vmrr'));
    });
  for (const spec of OPTIONS) if (spec.scope === 'machine' || spec.scope === 'engine') record.addOption(commanderOption(spec));

  const replay = program
    .command('replay')
    .summary('re-execute a log exactly, checking it, and say where and why it diverges')
    .argument('<log>', 'a .vmrr log')
    .option('--image <path>', 'the image, when it moved since recording (its SHA-256 must match)')
    .option('--force', 'replay even with an image or disk whose SHA-256 differs from the log')
    .option('--verify', 'compare state hashes and output digests at every sync point and at the end (the default)')
    .option('--no-verify', 'skip those comparisons (faster); the verdict is then "ran to the end, not verified"')
    .option('--to <icount>', 'stop at this instruction count and report the state there', intArg('--to', 0))
    .option('--tlb-entries <n>', 'replay with another TLB size than recorded', (v: string) => parseTlbPower('--tlb-entries', v, 1 << 20))
    .option('--tlb-ways <w>', 'replay with another TLB associativity than recorded', (v: string) => parseTlbPower('--tlb-ways', v, 64))
    .option('--no-tlb-tracking', 'replay without the T-bit tracking (shows the non-determinism it removes)')
    .option('--json', 'print one JSON object on standard output (see docs/cli-json.md)')
    .option('--gdb <[host:]port>', 'wait at icount 0 for gdb on TCP PORT, with reverse execution (see docs/gdb.md)', parseGdbAddress)
    .option('--screen <file>', 'write the VGA text screen where the replay stops to FILE (UTF-8, one line per row)')
    .addHelpText('after', '\nExit status:\n  0  the replay matched the log (every sync point and the end checked), ran to the end with --no-verify, or reached --to; or the gdb session ended\n  1  the replay diverged (state, output, position or exit status)\n  2  bad usage, a missing, corrupt or mismatched log or image\n  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM\n\nSee man vmrr-replay(1).')
    .action(async (log: string, parsed: Record<string, unknown>) => {
      if (parsed.gdb) {
        const { replayUnderGdb } = await import('./gdb-replay.js');
        const g = { image: parsed.image as string | undefined, force: Boolean(parsed.force), gdb: parsed.gdb as GdbAddress, jitThreshold: jitThresholdOf(parsed as EngineFlags) };
        const r = await withInterrupt((signal) => replayUnderGdb(log, g, { guestStdout: (b) => process.stdout.write(b), note: say, signal }));
        say(`vmrr: gdb session ended (${r.ended}) at icount ${r.icount}`);
        setStatus(r.ended === 'interrupted' ? EXIT_INTERRUPTED : EXIT_OK);
        return;
      }
      const { replayCommand } = await import('./replay.js');
      const opts = {
        image: parsed.image as string | undefined, force: Boolean(parsed.force), verify: parsed.verify !== false,
        to: parsed.to as number | undefined, json: Boolean(parsed.json), tlb: tlbOverrides(parsed),
        screen: parsed.screen as string | undefined, jitThreshold: jitThresholdOf(parsed as EngineFlags),
      };
      const r = await withInterrupt((signal) => withProgress(opts.json, 'replaying', log, (t) => replayCommand(log, opts, { ...t, signal })));
      if (opts.json) process.stdout.write(jsonText(r) + '\n');
      if (r.reason === 'interrupted') {
        sayStopped(`at icount ${r.icount}, EIP 0x${(r.eip >>> 0).toString(16).padStart(8, '0')}: the replay matched ${log} up to there`);
        setStatus(EXIT_INTERRUPTED);
        return;
      }
      if (!opts.json) {
        const { formatReplay } = await import('./replay-text.js');
        process.stderr.write(formatReplay(r, paintErr));
      }
      setStatus(r.verdict === 'divergence' ? EXIT_DIVERGENCE : EXIT_OK);
    });
  for (const spec of ENGINE_OPTIONS) replay.addOption(commanderOption(spec));

  program
    .command('diff')
    .summary('find the first instruction where two recorded executions part, and the input that caused it')
    .argument('<a>', 'a .vmrr log')
    .argument('[b]', 'another .vmrr log of the same image (default: A again, replayed with the TLB options below)')
    .option('--force', 'compare logs of different images')
    .option('--tlb-entries <n>', 'replay B (or A\'s second replay) with this TLB size', (v: string) => parseTlbPower('--tlb-entries', v, 1 << 20))
    .option('--tlb-ways <w>', 'replay B with this TLB associativity', (v: string) => parseTlbPower('--tlb-ways', v, 64))
    .option('--no-tlb-tracking', 'replay B without the T-bit tracking')
    .option('--budget <n>', 'examine at most N instructions past the last common sync point (default: to the ends)', intArg('--budget', 1))
    .option('--json', 'print one JSON object on standard output (see docs/cli-json.md)')
    .addHelpText('after', '\nExit status:\n  0  the executions are identical\n  1  they differ (or no difference was found within --budget)\n  2  bad usage, a missing or corrupt log\n  130  interrupted (Ctrl-C; 143: SIGTERM): a partial report says how far the search got\n\nSee man vmrr-diff(1).')
    .action(async (a: string, b: string | undefined, parsed: { force?: boolean; json?: boolean; budget?: number } & Record<string, unknown>) => {
      const { diffCommand, formatDiff } = await import('./diff.js');
      const tlb = tlbOverrides(parsed);
      if (b === undefined && !tlb) throw new UsageError('diff needs two logs, or one log and the options to replay it with (e.g. --tlb-entries 1 --no-tlb-tracking)');
      const r = await withInterrupt((signal) =>
        withProgress(Boolean(parsed.json), 'diffing', a, (t) =>
          diffCommand(a, b, { force: parsed.force, tlb, budget: parsed.budget, signal, onProgress: t.progress ? (_phase, ic) => t.progress!(ic) : undefined }),
        ),
      );
      process.stdout.write(parsed.json ? jsonText(r) + '\n' : formatDiff(r));
      setStatus(r.incomplete === 'interrupted' ? EXIT_INTERRUPTED : r.identical ? EXIT_OK : EXIT_DIVERGENCE);
    });

  program
    .command('demo')
    .summary('record the bundled non-deterministic guest, replay it, record it again and diff the two runs')
    .option('--keep <dir>', 'keep the logs in DIR instead of a temporary directory')
    .option('--json', 'print one JSON object on standard output (see docs/cli-json.md)')
    .addHelpText('after', '\nExit status:\n  0  replay was identical and diff found where the two recordings part\n  1  the demo did not show that (a bug: please report it)\n  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM\n\nSee man vmrr-demo(1).')
    .action(async (parsed: { keep?: string; json?: boolean }) => {
      const { demoCommand } = await import('./demo.js');
      const r = await withInterrupt((signal) => demoCommand({ keep: parsed.keep }, { say: parsed.json ? () => {} : (l) => process.stdout.write(l + '\n'), signal }));
      if (parsed.json) process.stdout.write(jsonText(r) + '\n');
      else process.stdout.write(r.ok ? paintOut.green('demo: the replay reproduced the run exactly; the second run parted from it where diff says; the injected fault was detected and corrected.\n') : paintOut.red('demo: something did not go as it should (see above).\n'));
      setStatus(r.ok ? EXIT_OK : EXIT_DIVERGENCE);
    });

  program
    .command('inspect')
    .summary('describe a log: configuration, frames, ND instructions, events, checkpoints, end or cut')
    .argument('<log>', 'a .vmrr log')
    .option('--events', 'list every event and ND block')
    .option('--json', 'print one JSON object on standard output (see docs/cli-json.md)')
    .addHelpText('after', '\nExit status:\n  0  the log was read (a cut log too)\n  2  bad usage, a missing or corrupt log\n\nSee man vmrr-inspect(1).')
    .action(async (log: string, opts: { events?: boolean; json?: boolean }) => {
      const { inspectCommand } = await import('./inspect.js');
      const report = await inspectCommand(log, opts);
      if (opts.json) process.stdout.write(jsonText(report) + '\n');
      else {
        const { formatInspect } = await import('./inspect-text.js');
        process.stdout.write(formatInspect(report, { color: paintOut.level > 0 }));
      }
    });

  const ftCheck = program
    .command('ft-check')
    .summary('run a primary and a replaying secondary in quasi-lockstep: output commit, fault injection, resync')
    .description(
      'Run IMAGE as a primary with live inputs whose log streams to a secondary replaying it, both in this process. ' +
        'Their outputs are compared in order; the primary\'s reach standard output only once the secondary produced the same. ' +
        'On a mismatch, or a secondary too far behind, the secondary is resynchronized from a checkpoint of the primary.',
    )
    .argument('[image]', 'Multiboot kernel image')
    .option('--inject <spec>', 'fault in the secondary: reg:NAME:XORMASK@ICOUNT, mem:PHYSADDR:XORMASK@ICOUNT, drop:KIND@N (repeatable)',
      (raw: string, prev: unknown) => [...((prev as unknown[]) ?? []), parseInjection(raw)], [])
    .option('--loose <sources>', 'the secondary takes its own live values for these sources: rdtsc,rdrand,timer', (raw: string) => parseLoose(raw))
    .option('--max-lag <n>', 'resync when the secondary is more than N instructions behind the primary', intArg('--max-lag', 0), 5_000_000)
    .option('--slice <n>', 'instructions per round (each ends with a sync point)', intArg('--slice', 1), 2_000_000)
    .option('--nd-buffer <n>', 'entries in the RDTSC/RDRAND/RDSEED buffer', intArg('--nd-buffer', 1, 1 << 20), 4096)
    .option('--threads <n>', '1: both guests in this thread, in turn; 2: the secondary in a worker thread, pipelined', intArg('--threads', 1, 2), 1)
    .option('--secondary <where>', 'the secondary in another process over TCP: [HOST:]PORT of a `vmrr ft-secondary`, or spawn (start one on loopback)')
    .option('--heartbeat <ms>', 'with --secondary: silence on the link this long means the peer is gone', intArg('--heartbeat', 10, 600_000), 1000)
    .option('--rejoin', 'with --secondary: after losing the secondary, keep trying for a new one (spawned again, or at the same address) and give it the whole machine')
    .option('--output <file>', 'write the released guest output (COM1, port 0xE9) to FILE instead of standard output')
    .option('--ledger <file>', 'record each write of released output (who, offset, length) in FILE, one JSON line each')
    .option('--screen <file>', 'when the check ends, write the released VGA text screen to FILE (UTF-8, one line per row)')
    .option('--json', 'print the report as one JSON object on standard output (see docs/cli-json.md)')
    .option('--report <file>', 'also write the JSON report to FILE')
    .option('--secondary-jit-threshold <n>', "the secondary's block-compiler threshold, 0 for the interpreter only (default: the primary's); not with --secondary HOST:PORT, whose ft-secondary picks its own", (v: string) => parseJitThreshold('--secondary-jit-threshold', v))
    .addHelpText('after', '\nExit status:\n  0  every divergence was corrected (or there was none); also when a remote secondary was lost and the primary ran on unprotected\n  1  a divergence was not corrected\n  2  bad usage, a bad image or --inject spec; the secondary refused the handshake, could not be reached, or spoke garbage\n  5  the link to the secondary was lost and the secondary claimed the output (it took over): this primary stopped\n  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM\n\nSee man vmrr-ft-check(1).')
    .action(async (image: string | undefined, parsed: Record<string, unknown>) => {
      const { ftCheckCommand } = await import('./ft-check.js');
      const opts = applyDefaults(parsed) as unknown as import('./ft-check.js').FtCheckCliOptions;
      const json = Boolean(opts.json);
      const report = await withInterrupt((signal) =>
        withProgress(json, 'ft-check', image ?? opts.bios ?? '', (t) =>
          ftCheckCommand(image, { ...opts, json, loose: opts.loose ?? [] }, { ...t, signal }),
        ),
      );
      const text = jsonText(report);
      if (opts.report !== undefined) {
        const { writeFileSync } = await import('node:fs');
        try {
          writeFileSync(opts.report, text + '\n');
        } catch (e) {
          throw new UsageError(`cannot write the report to ${opts.report}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
      }
      if (json) process.stdout.write(text + '\n');
      if (report.primary.reason === 'interrupted') {
        sayStopped(`at primary icount ${report.primary.icount} after ${plural(report.rounds, 'round')} (${plural(report.divergences.length, 'divergence')}, ${plural(report.resyncs.length, 'resync')}); output released up to the secondary's last confirmation`);
        setStatus(EXIT_INTERRUPTED);
        return;
      }
      if (!json) {
        const { formatFtCheck } = await import('./ft-check-text.js');
        process.stderr.write(formatFtCheck(report, paintErr));
      }
      setStatus(report.verdict.ok ? EXIT_OK : EXIT_DIVERGENCE);
    });
  for (const spec of OPTIONS) if (spec.scope === 'machine' || spec.scope === 'engine') ftCheck.addOption(commanderOption(spec));

  const ftSecondary = program
    .command('ft-secondary')
    .summary('serve as the FT secondary of a `vmrr ft-check --secondary` primary over TCP; take over if the primary is lost')
    .description(
      'Wait on [HOST:]PORT for one ft-check primary, check that this host has the same image and disk (SHA-256) and vmrr version, replay the inputs the primary streams ' +
        'and answer with outputs and state hashes. If the primary is lost (connection closed or reset, silence past its --heartbeat), replay every whole round received, ' +
        'go live, and release the guest\'s output from the first byte the primary had not released.',
    )
    .requiredOption('--listen <[host:]port>', 'where to wait for the primary (port 0: any free port; the port is printed)')
    .option('--image <file>', "this host's copy of the image (default: the primary's path)")
    .option('--disk <file>', "this host's copy of the disk (default: the primary's path)")
    .option('--output <file>', "after a takeover, append released output to FILE (default: the primary's --output, else standard output)")
    .option('--ledger <file>', "after a takeover, record writes in FILE (default: the primary's --ledger)")
    .option('--serial-in <file>', "after a takeover, COM1's input file (default: the primary's)")
    .option('--handshake-timeout <ms>', 'give up on a primary that connects but sends no hello within MS', intArg('--handshake-timeout', 10, 600_000), 10_000)
    .option('--json', 'write how the session ended as one JSON object on standard error (standard output carries the guest\'s output after a takeover; see docs/cli-json.md)')
    .addHelpText('after', '\nExit status:\n  0  the primary ended the check normally, or the secondary took over and the guest ended normally\n  1  the primary was lost while the secondary had diverged (no faithful takeover), or the primary dropped this secondary (silent past the heartbeat)\n  2  bad usage; a refused handshake (another image, disk, version or protocol), garbage on the link, no hello in time\n  3  after a takeover the guest failed (triple fault, instruction limit); 4: it halted for good\n  5  the link was lost but the primary claimed the output (it is alive and goes on): no takeover\n  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM\n\nSee man vmrr-ft-secondary(1).')
    .action(async (parsed: Record<string, unknown>) => {
      const { ftSecondaryCommand, formatFtSecondary } = await import('./ft-secondary.js');
      const { TakeoverError } = await import('../ft/failover.js');
      const json = Boolean(parsed.json);
      try {
        const o = { ...(parsed as unknown as import('./ft-secondary.js').FtSecondaryOptions), json, jitThreshold: jitThresholdOf(parsed as EngineFlags) };
        const r = await withInterrupt((signal) => ftSecondaryCommand(o, { say, signal }));
        process.stderr.write(json ? jsonText(r) + '\n' : formatFtSecondary(r));
        setStatus(r.outcome === 'primary-ended' ? EXIT_OK : r.outcome === 'dropped' ? EXIT_DIVERGENCE : runExitStatus(r.stop.reason as Parameters<typeof runExitStatus>[0], r.stop.exitValue, 'vmrr'));
      } catch (e) {
        if (!(e instanceof TakeoverError)) throw e;
        sayError(e.message);
        setStatus(EXIT_DIVERGENCE);
      }
    });
  for (const spec of ENGINE_OPTIONS) ftSecondary.addOption(commanderOption(spec));
  addClusterCommands(program, { setStatus, say, signal: interrupt.signal });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let status = EXIT_OK;
  const program = buildProgram((s) => (status = s));
  try {
    await program.parseAsync(argv);
    // Stopped by a signal: 128 + its number, as shells report it.
    const stoppedBy = stoppedBySignal();
    if (stoppedBy !== null) return stoppedBy === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
    return status;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof Error && err.name === 'SupersededError') {
      sayError(err.message);
      return EXIT_SUPERSEDED;
    }
    if (isUserError(err)) {
      sayError(err.message);
      return EXIT_USAGE;
    }
    sayError(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT_INTERNAL;
  }
}

// A reader that went away (`vmrr run ... | head`): stop as tools killed by SIGPIPE do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_SIGPIPE);
  throw err;
});

const status = await main(process.argv);
// Let pending writes to pipes and files drain before exiting.
process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
