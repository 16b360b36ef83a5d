/**
 * `--pins FILE`: one PIN per key, as CSV lines `selector,pin`. The selector is
 * what --device takes (a HID path, tcp:HOST:PORT, sim) or serial:SERIAL; the
 * PIN is the rest of the line, so it may contain commas. Lines starting with #
 * and a `selector,pin` header are skipped. PINs are never echoed in errors.
 */
import { parseDeviceSelector } from '../devices/discovery.js';
import { stat } from 'node:fs/promises';
import { readBounded, readFailure } from '../bounded-read.js';
import { controlCharacterIn } from '../ctap/pin-policy.js';
import { Fido2Error } from '../errors.js';
import type { Target } from './selection.js';
import { splitCsv } from './handoff.js';

export type PinTable = ReadonlyMap<string, string>;

/** Parses the file's text; pure. Errors name the line, never its PIN. */
export function parsePinTable(text: string, where = 'the PIN file'): PinTable {
  const table = new Map<string, string>();
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
  // A station's hand-off file (identity,serial,model,pin) serves as a PIN file too: its identity is a selector.
  if (/^identity,serial,model,pin$/i.test(lines[0]?.trim() ?? '')) return handoffTable(lines.slice(1), where);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (i === 0 && /^selector\s*,\s*pin$/i.test(line))) return;
    const comma = raw.indexOf(',');
    if (comma < 0) throw new Fido2Error('usage', `Line ${i + 1} of ${where} has no comma; write selector,pin on each line.`);
    const selector = normalise(raw.slice(0, comma).trim());
    const pin = raw.slice(comma + 1).replace(/\r$/, '');
    if (selector === '' || pin === '') throw new Fido2Error('usage', `Line ${i + 1} of ${where} has an empty ${selector === '' ? 'selector' : 'PIN'}; write selector,pin on each line.`);
    const bad = selectorProblem(selector);
    if (bad !== undefined) throw new Fido2Error('usage', `Line ${i + 1} of ${where}: ${bad}; nothing was sent to any key.`);
    const problem = pinProblem(pin);
    if (problem !== undefined) throw new Fido2Error('usage', `Line ${i + 1} of ${where} ${problem}; nothing was sent to any key.`);
    if (table.has(selector)) throw new Fido2Error('usage', `${where} names ${selector} twice (line ${i + 1}); keep one line per key.`);
    table.set(selector, pin);
  });
  return table;
}

/** Rows of a hand-off file: the last row per key wins (a later run's PIN replaced nothing, but be safe). */
function handoffTable(rows: readonly string[], where: string): PinTable {
  const table = new Map<string, string>();
  rows.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const cells = splitCsv(raw.replace(/\r$/, ''));
    if (cells.length !== 4 || cells[0] === '' || cells[3] === '') throw new Fido2Error('usage', `Line ${i + 2} of ${where} is not an identity,serial,model,pin row; fix the line.`);
    table.set(normalise(cells[0]!), cells[3]!);
  });
  return table;
}

/**
 * What makes a --pins PIN certainly wrong, or undefined. `selector, pin` (a
 * space after the comma, as CSV writers often put) would send the space as part
 * of the PIN to every key and spend an attempt on each; no PIN this tool sets
 * starts or ends with a space or holds a control character.
 */
function pinProblem(pin: string): string | undefined {
  // CTAP 2.1 §6.5.5.5 and §6.5.5.6: no key takes a PIN under 4 code points or over 63 bytes.
  if ([...pin].length < 4) return 'has a PIN shorter than 4 characters, which no key accepts; fix the line';
  if (Buffer.byteLength(pin, 'utf8') > 63) return 'has a PIN longer than 63 bytes, which no key accepts; fix the line';
  if (/^\s/u.test(pin)) return 'has a space after the comma, which would be sent as part of the PIN; write selector,pin with nothing between the comma and the PIN';
  if (/\s$/u.test(pin)) return 'ends with a space after the PIN, which would be sent as part of it; remove it';
  const control = controlCharacterIn(pin);
  if (control !== undefined) return `has a control character (${control}) in its PIN, which cannot be part of a PIN; fix the line`;
  return undefined;
}

/** Why a line's selector cannot name one key, or undefined; pure. */
function selectorProblem(selector: string): string | undefined {
  let kind: string;
  try {
    kind = parseDeviceSelector(selector).kind;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/\.$/, '') : String(e);
  }
  return kind === 'touch' ? `"${selector}" does not name one key; give its serial:SERIAL, path, tcp:HOST:PORT or pcsc:READER` : undefined;
}

const normalise = (s: string): string => (/^tcp:/i.test(s) ? s.toLowerCase() : /^sim$/i.test(s) ? 'sim' : s);

/** The PIN for one key: by serial first (it survives replugging), then by path or selector. */
export function pinFor(table: PinTable, t: Target): string | undefined {
  if (t.serial !== undefined && table.has(`serial:${t.serial}`)) return table.get(`serial:${t.serial}`);
  for (const k of [t.path, t.selector, t.label, t.id]) if (k !== undefined && table.has(normalise(k))) return table.get(normalise(k));
  return undefined;
}

/** True when a file mode lets group or others read the file. */
export const readableByOthers = (mode: number): boolean => (mode & 0o044) !== 0;

/** A --pins file is a few lines per key; anything larger is not one. */
export const MAX_PINS_FILE_BYTES = 1 << 20;

/**
 * Reads and parses the file (a pipe or FIFO too, within `timeoutMs`); warns
 * (via `warn`) when group or others can read it.
 */
export async function readPinTable(file: string, warn: (line: string) => void, timeoutMs?: number): Promise<PinTable> {
  let text: string;
  try {
    const st = await stat(file);
    if (process.platform !== 'win32' && readableByOthers(st.mode)) {
      warn(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); run \`chmod 600 ${file}\`.`);
    }
    const head = await readBounded(file, {
      maxBytes: MAX_PINS_FILE_BYTES + 1,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      late: (s) => new Fido2Error('pin-required', `No PINs arrived from ${file} within ${s} s; write the PIN lines to it and close it, or raise --timeout.`),
    });
    if (head.length > MAX_PINS_FILE_BYTES) throw new Fido2Error('usage', `${file} is larger than 1 MiB, too large for a PIN file; give a file of selector,pin lines.`);
    text = head.toString('utf8');
  } catch (e) {
    throw readFailure(e, 'usage', `the PIN file ${file}`, 'check the path and its permissions.');
  }
  return parsePinTable(text, file);
}
