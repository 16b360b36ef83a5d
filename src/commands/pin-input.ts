import { bounded, readBounded, readFailure } from '../bounded-read.js';
import { controlCharacterIn } from '../ctap/pin-policy.js';
import { Fido2Error } from '../errors.js';
import { hiddenPrompt } from './hidden-prompt.js';
import { currentKeyContext } from './key-context.js';
import { timeoutMs } from './global-options.js';

/** Every way a PIN can reach the tool, for the current PIN and for the new one. */
export interface PinSourceOptions {
  pin?: string;
  pinFile?: string;
  pinEnv?: string;
  pinStdin?: boolean;
  newPin?: string;
  newPinFile?: string;
  newPinEnv?: string;
  newPinStdin?: boolean;
  /** --timeout in seconds: how long standard input may take to give its PIN line. */
  timeout?: string;
}

/** The outside world the PIN readers touch, injectable so tests need no terminal. */
export interface PinIo {
  env: NodeJS.ProcessEnv;
  isTty: boolean;
  /** Standard input is a terminal: --pin-stdin then asks without echo instead of reading a visible line. */
  stdinIsTty?: boolean;
  /** Standard input up to its `lines`-th line; rejects when they do not arrive within `timeoutMs`. */
  readStdin(timeoutMs?: number, lines?: number): Promise<string>;
  prompt(question: string): Promise<string>;
  warn(line: string): void;
}

export function processPinIo(): PinIo {
  // On many keys, one shared source: asked once, read from stdin once, or the key's line in --pins.
  const k = currentKeyContext();
  if (k) return k.io;
  let stdin: Promise<string> | undefined;
  return {
    env: process.env,
    isTty: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    stdinIsTty: Boolean(process.stdin.isTTY),
    readStdin: (timeoutMs, lines) => (stdin ??= withinTimeout(readLines(process.stdin, lines ?? 1), timeoutMs)),
    prompt: (q) => hiddenPrompt(q),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  };
}

/** Editors on Windows start UTF-8 files with a byte-order mark; it is never part of a PIN. */
const stripBom = (text: string): string => (text.startsWith('\uFEFF') ? text.slice(1) : text);

/** A PIN is at most 63 bytes: no PIN source is read beyond this. */
export const MAX_PIN_SOURCE_BYTES = 4096;

/**
 * Standard input up to the lines the command needs (one, or two when both PINs
 * come on it) or its end, at most MAX_PIN_SOURCE_BYTES: a pipe or FIFO that
 * stays open still gives its PIN at once.
 */
async function readLines(stream: NodeJS.ReadableStream, lines: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    chunks.push(b);
    size += b.length;
    const text = Buffer.concat(chunks).toString('utf8');
    if (size >= MAX_PIN_SOURCE_BYTES || text.split('\n').length > lines) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_PIN_SOURCE_BYTES).toString('utf8');
}

/** A pipe or FIFO that never gives a line must not hold the command past --timeout, nor ignore Ctrl-C. */
function withinTimeout(reading: Promise<string>, timeoutMs: number | undefined): Promise<string> {
  return bounded(() => reading, timeoutMs, (s) => new Fido2Error('pin-required', `No PIN arrived on standard input within ${s} s; send the PIN followed by a newline, or raise --timeout.`));
}

/** The first line of a PIN file, pipe or FIFO (`--pin-file <(pass show key)`), never the whole of a large one. */
async function readPinFile(path: string, timeoutMs: number | undefined): Promise<string> {
  try {
    const head = await readBounded(path, {
      maxBytes: MAX_PIN_SOURCE_BYTES,
      lines: 1,
      timeoutMs,
      late: (s) => new Fido2Error('pin-required', `No PIN arrived from ${path} within ${s} s; write the PIN followed by a newline to it, or raise --timeout.`),
    });
    return head.toString('utf8');
  } catch (e) {
    throw readFailure(e, 'usage', `the PIN file ${path}`, 'check the path and its permissions.');
  }
}

const STDIN_PATHS: ReadonlySet<string> = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

type Which = 'current' | 'new';

interface Source {
  file?: string;
  envName?: string;
  defaultEnv: string;
  stdin?: boolean;
  stdinLine: number;
  arg?: string;
  argFlag: string;
}

function sourceFor(which: Which, o: PinSourceOptions): Source {
  if (which === 'current') {
    return { file: o.pinFile, envName: o.pinEnv, defaultEnv: 'FIDO2_PIN', stdin: o.pinStdin, stdinLine: 0, arg: o.pin, argFlag: '--pin' };
  }
  // When both PINs come on stdin, the current one is the first line and the new one the second.
  return {
    file: o.newPinFile,
    envName: o.newPinEnv,
    defaultEnv: 'FIDO2_NEW_PIN',
    stdin: o.newPinStdin,
    stdinLine: o.pinStdin ? 1 : 0,
    arg: o.newPin,
    argFlag: '--new-pin',
  };
}

function nonEmpty(value: string, where: string): string {
  if (value === '') throw new Fido2Error('usage', `The PIN from ${where} is empty; put the PIN there or choose another PIN source.`);
  return value;
}

/**
 * Every source alike: a trailing line end (from a file, `echo`, a CRLF editor)
 * is dropped, as the file and stdin sources always did; any other control
 * character is refused before anything is sent, since no PIN can hold one
 * (this tool refuses to set such a PIN and no prompt can type it).
 */
function cleanPin(value: string, where: string): string {
  const pin = nonEmpty(value.replace(/[\r\n]+$/, ''), where);
  const bad = controlCharacterIn(pin);
  if (bad !== undefined) {
    throw new Fido2Error('pin-policy', `The PIN from ${where} contains a control character (${bad}), which cannot be part of a PIN; nothing was sent to the key and no attempt was used. Fix the PIN source.`);
  }
  return pin;
}

/** True when an option (not the FIDO2_PIN / FIDO2_NEW_PIN default) gives this PIN: it then wins over the default and --pins lines. */
export function explicitPinGiven(which: Which, o: PinSourceOptions): boolean {
  const s = sourceFor(which, o);
  return s.file !== undefined || s.envName !== undefined || s.stdin === true || s.arg !== undefined;
}

/**
 * The PIN from the non-interactive source given; undefined when none was.
 * At most one explicit option per PIN; an explicit option always wins over the
 * FIDO2_PIN / FIDO2_NEW_PIN variable, which is only the default (a variable
 * left over in the shell must never override what the command line says).
 */
export async function pinFromSources(which: Which, o: PinSourceOptions, io: PinIo): Promise<string | undefined> {
  const s = sourceFor(which, o);
  const given = [
    s.file !== undefined && `${s.argFlag}-file`,
    s.envName !== undefined && `${s.argFlag}-env`,
    s.stdin === true && `${s.argFlag}-stdin`,
    s.arg !== undefined && s.argFlag,
  ].filter((x): x is string => typeof x === 'string');
  if (given.length > 1) throw new Fido2Error('usage', `${given.join(' and ')} both give the ${which === 'new' ? 'new ' : ''}PIN; pass only one of them.`);
  if (s.file !== undefined) {
    // Standard input may be a socket (as Node gives its children), which cannot be opened by path: read it as --pin-stdin would.
    const text = STDIN_PATHS.has(s.file) ? await io.readStdin(timeoutMs(o), 1) : await readPinFile(s.file, timeoutMs(o));
    return cleanPin(stripBom(text).split(/\r?\n/)[0] ?? '', `the file ${s.file}`);
  }
  if (s.envName !== undefined) {
    const v = io.env[s.envName];
    if (v === undefined) throw new Fido2Error('usage', `The environment variable ${s.envName} is not set; export it or choose another PIN source.`);
    return cleanPin(v, `the variable ${s.envName}`);
  }
  if (s.stdin) {
    // Typed on a terminal, a line would be echoed: ask without echo instead.
    if (io.stdinIsTty) return promptFor(which, io);
    const lines = stripBom(await io.readStdin(timeoutMs(o), o.pinStdin && o.newPinStdin ? 2 : 1)).split(/\r?\n/);
    const line = lines[s.stdinLine];
    if (line === undefined || line === '') {
      throw new Fido2Error('usage', `Standard input has no ${which === 'new' ? 'new ' : ''}PIN on line ${s.stdinLine + 1}; send the PIN followed by a newline.`);
    }
    return cleanPin(line, `line ${s.stdinLine + 1} of standard input`);
  }
  if (s.arg !== undefined) {
    io.warn(`${s.argFlag} makes the PIN visible to other users of this machine; prefer ${s.defaultEnv}, ${s.argFlag}-file or ${s.argFlag}-stdin.`);
    return cleanPin(s.arg, s.argFlag);
  }
  const fromDefault = io.env[s.defaultEnv];
  // An empty FIDO2_PIN is a mistake worth naming; an empty FIDO2_NEW_PIN is how scripts unset it.
  if (fromDefault !== undefined && (which === 'current' || fromDefault !== '')) return cleanPin(fromDefault, `the variable ${s.defaultEnv}`);
  return undefined;
}

const HOW_TO = {
  current: 'pass it with --pin-file PATH, --pin-env VAR, the FIDO2_PIN variable or --pin-stdin',
  new: 'pass it with --new-pin-file PATH, --new-pin-env VAR, the FIDO2_NEW_PIN variable or --new-pin-stdin',
} as const;

/**
 * The PIN for `which`, from a source or else a hidden prompt (asked twice for
 * a new PIN, to catch typos before they lock the user out).
 */
export async function readPin(which: Which, o: PinSourceOptions, io: PinIo, fallback?: Which): Promise<string> {
  const given = (await pinFromSources(which, o, io)) ?? (fallback ? await pinFromSources(fallback, o, io) : undefined);
  if (given !== undefined) return given;
  if (!io.isTty) {
    throw new Fido2Error('pin-required', `A ${which === 'new' ? 'new ' : ''}PIN is needed and there is no terminal to ask on; ${HOW_TO[which]}.`);
  }
  return promptFor(which, io);
}

async function promptFor(which: Which, io: PinIo): Promise<string> {
  if (which === 'current') return nonEmpty(await io.prompt('PIN: '), 'the prompt');
  const first = nonEmpty(await io.prompt('New PIN: '), 'the prompt');
  const second = await io.prompt('Repeat the new PIN: ');
  if (first !== second) throw new Fido2Error('usage', 'The two PINs you typed differ; nothing was changed. Run the command again.');
  return first;
}
