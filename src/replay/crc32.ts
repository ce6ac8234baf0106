// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG use):
// every frame of a log is checked on write and on read, and checkpoint frames
// run to megabytes. node:zlib's crc32 (Node 20.15 and later, hence `engines`)
// is zlib's own, several times faster than a table loop in JavaScript.
import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 of `data[start, end)`. Pass a previous result as `crc` to continue
 * a running CRC over several pieces: crc32(b, 0, n, crc32(a)) === crc32(a ++ b).
 */
export function crc32(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  const part = start === 0 && end === data.length ? data : data.subarray(start, end);
  return zlibCrc32(part, crc >>> 0);
}
