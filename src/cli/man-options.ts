// Renders the options table as roff for the man pages' OPTIONS sections.
// scripts/gen-man-options.mjs writes it between the marker lines; a test
// checks that the committed pages match.
import { OPTIONS, type OptionSpec } from './options.js';

export type OptionScope = OptionSpec['scope'];

export const beginMarker = (scope: OptionScope): string => `.\\" BEGIN GENERATED OPTIONS ${scope}`;
export const endMarker = (scope: OptionScope): string => `.\\" END GENERATED OPTIONS ${scope}`;

/** Escape text for roff: backslashes, hyphens, and a leading dot or quote. */
export function roffText(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^['.]/gm, '\\&$&');
}

function item(spec: OptionSpec): string {
  const head = `\\fB${roffText(spec.flag)}\\fR` + (spec.value ? ` \\fI${roffText(spec.value)}\\fR` : '');
  let body = capitalise(spec.summary) + '.';
  if (spec.details) body += ' ' + spec.details;
  if (spec.defaultText) body += ` Default: ${spec.defaultText}.`;
  return `.TP\n${head}\n${roffText(body)}`;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The lines between the markers for one scope of options. */
export function renderManOptions(scope: OptionScope): string {
  return OPTIONS.filter((o) => o.scope === scope).map(item).join('\n');
}

/** `page` with every generated block brought up to date. */
export function updateManPage(page: string): string {
  let out = page;
  for (const scope of ['machine', 'engine', 'run'] as const) {
    const begin = out.indexOf(beginMarker(scope));
    if (begin < 0) continue;
    const end = out.indexOf(endMarker(scope), begin);
    if (end < 0) throw new Error(`${beginMarker(scope)} has no end marker`);
    const from = begin + beginMarker(scope).length;
    out = out.slice(0, from) + '\n' + renderManOptions(scope) + '\n' + out.slice(end);
  }
  return out;
}
