// `vmrr run --gdb`: the machine waits at its first instruction for gdb, is
// driven by it, and once gdb detaches runs on to its end as a plain run.
import type { Machine, RunAsyncOptions, StopInfo } from '../machine/machine.js';
import { GdbServer, type SessionEnd } from '../gdb/server.js';
import { LiveTarget } from '../gdb/live-target.js';
import { DebugPoints } from '../gdb/points.js';
import type { GdbAddress } from './options.js';
import { UsageError } from './exit.js';

export interface GdbRunIo {
  /** One line for the person at the terminal (standard error). */
  note(line: string): void;
  signal?: AbortSignal;
}

/** Listen on `addr`, or fail with a one-line usage error (port in use, bad host). */
export async function listenForGdb(server: GdbServer, addr: GdbAddress, io: GdbRunIo): Promise<void> {
  try {
    const a = await server.listen();
    io.note(`waiting for gdb on ${a.address}:${a.port}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new UsageError(`--gdb: cannot listen on ${addr.host}:${addr.port}: ${code}`);
  }
}

/** Resolves when gdb ends its session (D or k) or the run is interrupted (Ctrl-C of vmrr). */
export function sessionEnd(server: GdbServer, over: () => boolean, signal?: AbortSignal): Promise<SessionEnd | 'interrupted'> {
  return new Promise((resolve) => {
    void server.waitForEnd(over).then(resolve);
    if (signal?.aborted) resolve('interrupted');
    signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
}

export async function runUnderGdb(machine: Machine, addr: GdbAddress, run: RunAsyncOptions, io: GdbRunIo): Promise<StopInfo> {
  const target = new LiveTarget(machine, { maxInsns: run.maxInsns, onYield: run.onYield });
  const server = new GdbServer(target, { ...addr, log: io.note });
  await listenForGdb(server, addr, io);
  let how: SessionEnd | 'interrupted';
  try {
    how = await sessionEnd(server, () => target.ended !== null, io.signal);
  } finally {
    server.close();
  }
  const c = machine.cpu;
  const here: StopInfo = { reason: 'interrupted', icount: c.icount, eip: c.eip >>> 0, cs: c.sreg[1] };
  if (target.ended) return target.ended;
  if (how !== 'detach') return here;
  // Detached: no more breakpoints or watchpoints; the guest runs on as without gdb.
  target.pointsChanged(new DebugPoints());
  return machine.runAsync(run);
}
