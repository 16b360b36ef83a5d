/**
 * Generated PINs and the hand-off file (`--generate-pins FILE`): a fresh random
 * PIN per key that has none, fitting that key's rules, recorded as a CSV row
 * `identity,serial,model,pin` and flushed to the disk BEFORE the PIN is sent,
 * so no key ever holds a PIN that is not on file. The file is created new
 * (O_EXCL: an earlier file is never overwritten) with mode 0600. The journal
 * holds only the row's reference (FILE#ROW), never the PIN.
 */
import { randomInt } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { controlCharacterIn } from '../ctap/pin-policy.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from '../operations/authorizer.js';

export const DIGITS = '0123456789';
/** The length a generated PIN has unless the key's or the policy's minimum asks for more. */
export const DEFAULT_GENERATED_LENGTH = 8;
/** CTAP 2.1 §6.5.5.5: a PIN is at most 63 bytes. */
const MAX_PIN_BYTES = 63;

/** Checks a `--pin-alphabet` value and returns its distinct characters; pure. */
export function parseAlphabet(text: string): string[] {
  const chars = [...new Set([...text.normalize('NFC')])];
  if (chars.length < 2) throw new Fido2Error('usage', '--pin-alphabet needs at least two different characters, e.g. 0123456789.');
  if (chars.some((c) => /\s/u.test(c) || controlCharacterIn(c) !== undefined || c === ',' || c === '"')) {
    throw new Fido2Error('usage', '--pin-alphabet may not hold spaces, control characters, commas or quotes; give the characters a PIN may use, e.g. 0123456789.');
  }
  return chars;
}

/** How long a generated PIN is for this key: its and the policy's minimum, at least 8, never above what the key takes; pure. */
export function generatedLength(info: Pick<AuthenticatorInfo, 'minPINLength' | 'maxPINLength'>, policyMin: number, alphabet: readonly string[]): number {
  const min = Math.max(4, info.minPINLength ?? 4, policyMin);
  const widest = Math.max(...alphabet.map((c) => Buffer.byteLength(c, 'utf8')));
  const max = Math.min(info.maxPINLength ?? 63, Math.floor(MAX_PIN_BYTES / widest));
  if (min > max) throw new Fido2Error('pin-policy', `This key needs a PIN of at least ${min} characters but takes at most ${max}; no PIN was made and nothing was changed.`, { reason: 'pin-length-impossible' });
  return Math.min(Math.max(min, DEFAULT_GENERATED_LENGTH), max);
}

/** A uniformly random PIN (node:crypto randomInt) of `length` characters from `alphabet`. */
export function generatePin(length: number, alphabet: readonly string[]): string {
  let pin = '';
  for (let i = 0; i < length; i++) pin += alphabet[randomInt(alphabet.length)]!;
  return pin;
}

/** One CSV cell: quoted when it holds a comma, quote or line break. */
const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export interface HandoffRow {
  identity: string;
  serial?: string;
  model?: string;
}

export const HANDOFF_HEADER = 'identity,serial,model,pin';

/** The hand-off file, open for appending rows. */
export class HandoffFile {
  private rows = 0;
  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {}

  /** Creates the file; refuses when it exists (an earlier run's PINs are never overwritten). */
  static create(file: string): HandoffFile {
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new Fido2Error('usage', `The hand-off file ${file} exists already; give a new file name (the PINs in it are never overwritten).`);
      throw new Fido2Error('usage', `Cannot create the hand-off file ${file} (${code ?? String(e)}); check the directory and its permissions.`);
    }
    const h = new HandoffFile(file, fd);
    h.write(`${HANDOFF_HEADER}\n`);
    return h;
  }

  private write(text: string): void {
    const b = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    fsyncSync(this.fd);
  }

  /** Writes and flushes the row; returns its reference (FILE#N, N counting data rows from 1). */
  record(row: HandoffRow, pin: string): string {
    this.write(`${[row.identity, row.serial ?? '', row.model ?? '', pin].map(cell).join(',')}\n`);
    this.rows++;
    return `${this.file}#${this.rows}`;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a hand-off file back: identity → PIN (the last row per identity); for tests and for an operator's tools. */
export function readHandoff(file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = readFileSync(file, 'utf8').split('\n').slice(1).filter((l) => l !== '');
  for (const l of lines) {
    const cells = splitCsv(l);
    out.set(cells[0]!, cells[3]!);
  }
  return out;
}

/** Splits one CSV line with quoted cells; pure. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

export interface StationPinOptions {
  handoff: HandoffFile;
  alphabet: readonly string[];
  /** The policy's minimum PIN length (0 when it sets none). */
  policyMin: number;
  row: HandoffRow;
  /** A dry run makes the PIN (so the checks are the real ones) but writes no row. */
  dryRun: boolean;
  /** Told the row reference once a PIN is on file. */
  onRecorded(ref: string): void;
}

/**
 * The station's authorizer for one key: a first PIN is generated to the key's
 * rules and on file before the operation sends it; the current PIN (a key that
 * has one) comes from `base` as usual.
 */
export function stationAuthorizer(base: Authorizer, o: StationPinOptions): Authorizer {
  return {
    ...base,
    currentPin: (req) => base.currentPin(req),
    newPin: async (req) => {
      if (req.purpose !== 'set') return base.newPin(req);
      const pin = generatePin(generatedLength(req.info, o.policyMin, o.alphabet), o.alphabet);
      if (!o.dryRun) o.onRecorded(o.handoff.record(o.row, pin));
      return pin;
    },
  };
}
