// Content digests (SHA-256) that bind a log to its image and disk. Hashing
// is deterministic, so this module may use node:crypto's createHash; the
// determinism test holds it to that (no random APIs here).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of a file, streamed (disk images can be large). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
