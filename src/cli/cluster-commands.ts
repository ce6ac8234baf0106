// Registers the cluster commands (node, replicate, restore) on the program;
// main.ts calls addClusterCommands once. Exit statuses: 0 done; 1 replicate:
// a VM was not replicated in some round, restore: the state hash differs;
// 2 bad usage, an address that does not answer, no such state; 3/4 restore:
// the restored guest failed or halted for good; 130/143 stopped by a signal.
import { type Command, Option } from 'commander';
import { OPTIONS, applyDefaults, commanderFlags, type OptionSpec } from './options.js';
import { EXIT_DIVERGENCE, EXIT_OK, UsageError, runExitStatus } from './exit.js';
import { jsonText } from './json-out.js';
import { asUserError, listArg, parseCacheSize } from './cluster.js';

export interface ClusterContext {
  setStatus(s: number): void;
  say(line: string): void;
  signal: AbortSignal;
}

function machineOption(spec: OptionSpec): Option {
  const opt = new Option(commanderFlags(spec), spec.defaultText ? `${spec.summary} (default: ${spec.defaultText})` : spec.summary);
  if (spec.parse) opt.argParser((raw: string, previous: unknown) => spec.parse!(raw, previous));
  return opt;
}

function count(flag: string, min: number) {
  return (raw: string): number => {
    const n = /^\d+$/.test(raw.replace(/_/g, '')) ? Number(raw.replace(/_/g, '')) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: '${raw}' is not a whole number of at least ${min}`);
    return n;
  };
}

/** --json given to the subcommand or to `node` (commander gives a parent's option to the parent). */
const jsonOf = (cmd: Command): boolean => Boolean(cmd.optsWithGlobals().json);

const guard = async <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    throw asUserError(e);
  }
};

const ONE: Record<string, string> = { replicate: '  1  a VM was not replicated in some round\n', restore: "  1  the restored state hash differs from the primary's, or (--replay) the log tail's replay diverged\n" };
const SEE = (page: string) => `\nExit status:\n  0  done\n${ONE[page] ?? ''}  2  bad usage, an address that does not answer, no such guest or state\n${page === 'restore' ? '  3  the restored guest failed (triple fault, instruction limit); 4: it halted for good\n' : ''}  130  stopped by SIGINT (Ctrl-C); 143: by SIGTERM\n\nSee man vmrr-${page}(1), docs/replication.md, docs/cli-json.md for --json.`;

export function addClusterCommands(program: Command, ctx: ClusterContext): void {
  const out = (json: boolean, data: unknown, text: () => string) => (json ? process.stdout.write(jsonText(data) + '\n') : process.stderr.write(text()));

  const node = program
    .command('node')
    .summary('a primary compute node: run guests, cache their state, migrate them (and start|ls|migrate|stop)')
    .description('With --listen: serve as a primary node until SIGINT/SIGTERM, running the guests submitted to it and caching their state pages (at most --cache bytes besides each guest\'s last state). The subcommands talk to running nodes.')
    .option('--listen <[host:]port>', 'serve on this address (port 0: any free port; the address is printed)')
    .addOption(new Option('--cache <size>', 'bytes of state pages to cache, with a K, M or G suffix').argParser(parseCacheSize).default(256 << 20, '256M'))
    .option('--json', 'print the address as {"listening": ...} and, at the end, the guests as JSON on standard output')
    .addHelpText('after', SEE('node'))
    .action(async (parsed: { listen?: string; cache: number; json?: boolean }) => {
      if (parsed.listen === undefined) throw new UsageError('node: give --listen [HOST:]PORT to serve, or a subcommand (start, ls, migrate, stop; see vmrr help node)');
      const { nodeServeCommand } = await import('./cluster.js');
      const json = Boolean(parsed.json);
      const r = await guard(() =>
        nodeServeCommand({ listen: parsed.listen!, cache: parsed.cache }, {
          signal: ctx.signal,
          ready: (addr) => (json ? process.stdout.write(JSON.stringify({ listening: addr }) + '\n') : ctx.say(`vmrr node listening on ${addr}`)),
        }),
      );
      if (json) process.stdout.write(jsonText(r) + '\n');
      ctx.setStatus(EXIT_OK);
    });

  const start = node
    .command('start')
    .summary('start a guest on a node')
    .argument('<image>', 'Multiboot kernel image (read here, sent to the node)')
    .requiredOption('--node <host:port>', 'the node to run it on')
    .option('--vm <name>', 'the VM name (default: the image file name without its extension)')
    .option('--json', 'print the guest as JSON')
    .action(async (image: string, parsed: Record<string, unknown>, cmd: Command) => {
      const { nodeStartCommand } = await import('./cluster.js');
      const { formatGuest } = await import('./cluster-text.js');
      const o = applyDefaults(parsed) as unknown as import('./cluster.js').NodeStartOptions & { json?: boolean };
      const g = await guard(() => nodeStartCommand(image, o));
      out(jsonOf(cmd), g, () => `started on ${o.node}: ${formatGuest(g)}\n`);
    });
  for (const spec of OPTIONS) if (spec.scope === 'machine') start.addOption(machineOption(spec));

  node
    .command('ls')
    .summary('list the guests and cache of nodes')
    .requiredOption('--node <host:port,...>', 'nodes to ask (repeatable)', listArg)
    .option('--json', 'print the list as JSON')
    .action(async (parsed: { node: string[] }, cmd: Command) => {
      const { nodeLsCommand } = await import('./cluster.js');
      const { formatLs } = await import('./cluster-text.js');
      const rows = await guard(() => nodeLsCommand(parsed.node));
      out(jsonOf(cmd), rows, () => formatLs(rows));
    });

  node
    .command('migrate')
    .summary('move a guest to another node (pause, send its state, resume there)')
    .argument('<vm>', 'the VM')
    .requiredOption('--node <host:port>', 'the node it runs on')
    .requiredOption('--to <host:port>', 'the node to move it to')
    .option('--json', 'print the result as JSON')
    .action(async (vm: string, parsed: { node: string; to: string }, cmd: Command) => {
      const { nodeMigrateCommand } = await import('./cluster.js');
      const r = await guard(() => nodeMigrateCommand(vm, parsed));
      out(jsonOf(cmd), r, () => `${vm} moved from ${r.from} to ${r.to} at icount ${r.guest.icount}\n`);
    });

  node
    .command('stop')
    .summary('stop a guest (its cached pages stay on the node)')
    .argument('<vm>', 'the VM')
    .requiredOption('--node <host:port>', 'the node it runs on')
    .option('--json', 'print the guest as JSON')
    .action(async (vm: string, parsed: { node: string }, cmd: Command) => {
      const { nodeStopCommand } = await import('./cluster.js');
      const { formatGuest } = await import('./cluster-text.js');
      const g = await guard(() => nodeStopCommand(vm, parsed));
      out(jsonOf(cmd), g, () => `stopped: ${formatGuest(g)}\n`);
    });

  program
    .command('replicate')
    .summary('replicate every VM of the primary nodes to a secondary cluster of Redis servers')
    .description('Each round takes a consistent state of every VM, gives it to the node caching the most of it, and copies what changed since the last replicated state to the secondary chosen by free space and history; the state is committed atomically.')
    .requiredOption('--primary <host:port,...>', 'the primary nodes (repeatable)', listArg)
    .requiredOption('--secondary <redis-url,...>', 'the secondary Redis servers (repeatable)', listArg)
    .option('--every <seconds>', 'a round every SECONDS (until SIGINT, or --rounds)', count('--every', 1))
    .option('--rounds <n>', 'stop after N rounds (default 1, or unbounded with --every)', count('--rounds', 1))
    .option('--keep <k>', 'states kept per VM on a secondary; older ones and the blobs only they use are deleted at each commit (0: keep all; default 3)', count('--keep', 0))
    .option('--json', 'print the rounds as one JSON array at the end')
    .addHelpText('after', SEE('replicate'))
    .action(async (parsed: { primary: string[]; secondary: string[]; every?: number; rounds?: number; keep?: number; json?: boolean }) => {
      const { replicateCommand } = await import('./cluster.js');
      const { formatRound } = await import('./cluster-text.js');
      const json = Boolean(parsed.json);
      const rounds = await guard(() => replicateCommand(parsed, { signal: ctx.signal, onRound: (r) => json || process.stderr.write(formatRound(r)) }));
      if (json) process.stdout.write(jsonText(rounds) + '\n');
      ctx.setStatus(rounds.every((r) => r.vms.every((v) => v.replicated)) ? EXIT_OK : EXIT_DIVERGENCE);
    });

  program
    .command('restore')
    .summary('rebuild a VM from the secondary cluster alone and continue it')
    .argument('<vm>', 'the VM')
    .requiredOption('--from <redis-url,...>', 'the secondary Redis servers (repeatable)', listArg)
    .option('--state <icount>', 'the state at this icount (default: the newest committed)', count('--state', 0))
    .option('--replay', 'first replay the log tail the state carries, from the state it starts at (or power-on), checking its sync points; then run on')
    .option('--no-run', 'restore and check the state hash only (with --replay: replay, then stop)')
    .option('--max-insns <n>', 'stop the continued run at this icount', count('--max-insns', 1))
    .option('--json', 'print the report as JSON on standard output (the guest output is then not printed)')
    .addHelpText('after', SEE('restore'))
    .action(async (vm: string, parsed: { from: string[]; state?: number; run: boolean; replay?: boolean; maxInsns?: number; json?: boolean }) => {
      const { restoreCommand } = await import('./cluster.js');
      const { formatRestore } = await import('./cluster-text.js');
      const json = Boolean(parsed.json);
      const r = await guard(() => restoreCommand(vm, parsed, { signal: ctx.signal, guestStdout: (b) => json || process.stdout.write(b) }));
      out(json, r, () => formatRestore(r));
      if (!r.hashMatches || (r.replay && r.replay.verdict !== 'reached')) ctx.setStatus(EXIT_DIVERGENCE);
      else ctx.setStatus(r.run ? runExitStatus(r.run.reason, r.run.exitValue, 'vmrr') : EXIT_OK);
    });
}
