// The primary nodes' control protocol: one HTTP POST per call, CBOR both
// ways ({op, ...args} -> {ok, result} or {ok: false, error}), so pages
// travel as bytes. Used by the coordinator, the CLI and node-to-node moves.

import { cbor } from './vm-state.js';

/** A node could not be reached, or refused the call (its message). */
export class NodeError extends Error {
  override name = 'NodeError';
  /** The node did not answer at all (lost), as against refusing the call. */
  unreachable = false;
}

/** `http://HOST:PORT`, `HOST:PORT` or a port alone (loopback). */
export function nodeUrl(s: string): string {
  const m = /^(?:http:\/\/)?(?:([^:/]+):)?(\d{1,5})\/?$/.exec(s.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65535) throw new NodeError(`not a node address: '${s}' (want HOST:PORT)`);
  return `http://${m[1] ?? '127.0.0.1'}:${port}`;
}

export async function callNode<T>(node: string, op: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
  const url = nodeUrl(node);
  let res: Response;
  try {
    res = await fetch(`${url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
      body: new Uint8Array(cbor.encode({ op, ...args })),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const why = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    const ne = new NodeError(`node ${url}: ${op}: ${why}`);
    ne.unreachable = true;
    throw ne;
  }
  const body = cbor.decode(new Uint8Array(await res.arrayBuffer())) as { ok: boolean; result?: T; error?: string };
  if (!body.ok) throw new NodeError(`node ${url}: ${op}: ${body.error}`);
  return body.result as T;
}
