// Where scripts/fetch-real-guests.sh leaves Debian's kernel, SeaBIOS and the
// initramfs; tests that need them skip, saying so, when they are absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const GUESTS = process.env.VMRR_REAL_GUESTS ?? join(ROOT, '.real-guests');
export const guest = (name: string): string => join(GUESTS, name);

/** The missing files' message, or '' when all are there. */
export function missing(names: string[]): string {
  const absent = names.filter((n) => !existsSync(guest(n)));
  if (absent.length === 0) return '';
  return `real guests not fetched (${absent.join(', ')} missing in ${GUESTS}): run scripts/fetch-real-guests.sh; skipping`;
}
