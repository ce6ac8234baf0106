// `vmrr ft-secondary --listen [HOST:]PORT`: the FT secondary in its own
// process (src/ft/secondary-server.ts); if the primary is lost, it takes
// over and runs the guest to its end (src/ft/failover.ts).
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { serveOnce } from '../ft/secondary-server.js';
import { failOver, type FailoverReport } from '../ft/failover.js';
import { parseHostPort } from '../ft/wire.js';

const version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export interface FtSecondaryOptions {
  listen: string;
  image?: string;
  disk?: string;
  output?: string;
  ledger?: string;
  serialIn?: string;
  handshakeTimeout: number;
  json: boolean;
  /** --no-jit / --jit-threshold: this host's engine (the primary's is not imposed). */
  jitThreshold?: number;
}

export type FtSecondaryResult =
  | { outcome: 'primary-ended'; peer: string; link: { receivedBytes: number; sentBytes: number } }
  | { outcome: 'dropped'; peer: string; why: string }
  | ({ outcome: 'took-over' } & FailoverReport);

export async function ftSecondaryCommand(opts: FtSecondaryOptions, io: { say(line: string): void; signal?: AbortSignal }): Promise<FtSecondaryResult> {
  const { host, port } = parseHostPort(opts.listen, '--listen');
  const now = (): number => performance.now();
  const end = await serveOnce({
    host, port, version, image: opts.image, disk: opts.disk, jitThreshold: opts.jitThreshold, handshakeMs: opts.handshakeTimeout, now,
    listening: (h, p) => io.say(`vmrr ft-secondary: listening on ${h}:${p}`),
  });
  if (end.kind === 'dropped') return { outcome: 'dropped', peer: end.stats.peer, why: end.why };
  if (end.kind === 'bye') return { outcome: 'primary-ended', peer: end.stats.peer, link: { receivedBytes: end.stats.receivedBytes, sentBytes: end.stats.sentBytes } };
  io.say(`vmrr ft-secondary: lost the primary (${end.why}): trying to take over`);
  const h = end.hello;
  const r = await failOver({
    end,
    output: opts.output !== undefined ? resolve(opts.output) : h.output,
    ledger: opts.ledger !== undefined ? resolve(opts.ledger) : h.ledger,
    serialIn: opts.serialIn !== undefined ? resolve(opts.serialIn) : h.serialIn,
    diskWritable: h.diskWritable,
    me: `secondary ${process.pid}`,
    now,
    signal: io.signal,
  });
  return { outcome: 'took-over', ...r };
}

export function formatFtSecondary(r: FtSecondaryResult): string {
  if (r.outcome === 'dropped') return `vmrr ft-secondary: the primary at ${r.peer} dropped this secondary (${r.why}) and runs on alone: no takeover\n`;
  if (r.outcome === 'primary-ended') return `vmrr ft-secondary: the primary at ${r.peer} ended the check (${r.link.receivedBytes} bytes received, ${r.link.sentBytes} sent)\n`;
  const fb = r.firstByteMs === null ? 'no new output' : `first new byte ${r.firstByteMs.toFixed(1)} ms after the loss was noticed`;
  return `vmrr ft-secondary: took over at icount ${r.liveFromIcount}, resuming output at byte ${r.resumedAt} (${r.replayedBytes} bytes from the replay, ${r.liveBytes} live); ` +
    `live ${r.failoverMs.toFixed(1)} ms after the loss, ${fb}; the guest ended (${r.stop.reason}${r.stop.exitValue !== null ? ` ${r.stop.exitValue}` : ''}) at icount ${r.stop.icount}` +
    (r.diskWritten ? '; disk written' : '') + '\n';
}
