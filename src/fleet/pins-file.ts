/**
 * `--pins FILE`: one PIN per key, as CSV lines `selector,pin`. The selector is
 * what --device takes (a HID path, tcp:HOST:PORT, sim) or serial:SERIAL; the
 * PIN is the rest of the line, so it may contain commas. Lines starting with #
 * and a `selector,pin` header are skipped. PINs are never echoed in errors.
 */
import { readFile, stat } from 'node:fs/promises';
import { Fido2Error } from '../errors.js';
import type { Target } from './selection.js';

export type PinTable = ReadonlyMap<string, string>;

/** Parses the file's text; pure. Errors name the line, never its PIN. */
export function parsePinTable(text: string, where = 'the PIN file'): PinTable {
  const table = new Map<string, string>();
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (i === 0 && /^selector\s*,\s*pin$/i.test(line))) return;
    const comma = raw.indexOf(',');
    if (comma < 0) throw new Fido2Error('usage', `Line ${i + 1} of ${where} has no comma; write selector,pin on each line.`);
    const selector = normalise(raw.slice(0, comma).trim());
    const pin = raw.slice(comma + 1).replace(/\r$/, '');
    if (selector === '' || pin === '') throw new Fido2Error('usage', `Line ${i + 1} of ${where} has an empty ${selector === '' ? 'selector' : 'PIN'}; write selector,pin on each line.`);
    if (table.has(selector)) throw new Fido2Error('usage', `${where} names ${selector} twice (line ${i + 1}); keep one line per key.`);
    table.set(selector, pin);
  });
  return table;
}

const normalise = (s: string): string => (/^tcp:/i.test(s) ? s.toLowerCase() : /^sim$/i.test(s) ? 'sim' : s);

/** The PIN for one key: by serial first (it survives replugging), then by path or selector. */
export function pinFor(table: PinTable, t: Target): string | undefined {
  if (t.serial !== undefined && table.has(`serial:${t.serial}`)) return table.get(`serial:${t.serial}`);
  for (const k of [t.path, t.selector, t.label]) if (k !== undefined && table.has(normalise(k))) return table.get(normalise(k));
  return undefined;
}

/** True when a file mode lets group or others read the file. */
export const readableByOthers = (mode: number): boolean => (mode & 0o044) !== 0;

/** Reads and parses the file; warns (via `warn`) when group or others can read it. */
export async function readPinTable(file: string, warn: (line: string) => void): Promise<PinTable> {
  let text: string;
  try {
    const st = await stat(file);
    if (process.platform !== 'win32' && readableByOthers(st.mode)) {
      warn(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); run \`chmod 600 ${file}\`.`);
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof Fido2Error) throw e;
    throw new Fido2Error('usage', `Cannot read the PIN file ${file} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}); check the path and its permissions.`);
  }
  return parsePinTable(text, file);
}
