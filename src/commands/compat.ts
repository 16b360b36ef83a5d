/**
 * The single-dash vocabulary of Token2's fido2-manage script, so existing
 * scripts such as `fido2-manage -uvs -device 1 -pin 1234` run unchanged.
 *
 * One table maps each word; a feature that lands later maps its words by
 * changing its entry from `notYet` to `command`/`option` (e.g.
 * `'-residentKeys': { command: ['credentials', 'list'] }`).
 */
import { Fido2Error } from '../errors.js';

export type LegacyWord =
  /** A command word; with `positional` N, the next N arguments are the command's arguments (`-setMinimumPIN 8`). */
  | { command: readonly string[]; positional?: number }
  /** A word whose value becomes a plain argument of the command (`-delete -credential ID`). */
  | { argument: true }
  /** An option; with `value`, the next argument is its value (`-device 1`). */
  | { option: string; value?: boolean }
  /** A feature this tool does not have yet. */
  | { notYet: string };

export const LEGACY_WORDS: Readonly<Record<string, LegacyWord>> = {
  '-list': { command: ['list'] },
  '-info': { command: ['info'] },
  '-setPIN': { command: ['set-pin'] },
  '-changePIN': { command: ['change-pin'] },
  '-reset': { command: ['reset'] },
  '-uvs': { command: ['uvs'] },
  '-uvd': { command: ['uvd'] },
  '-setMinimumPIN': { command: ['min-pin-length'], positional: 1 },
  '-forcePINchange': { command: ['force-pin-change'] },
  '-help': { option: '--help' },
  '-device': { option: '--device', value: true },
  '-pin': { option: '--pin', value: true },
  '-newpin': { option: '--new-pin', value: true },
  '-residentKeys': { command: ['credentials', 'list'] },
  '-storage': { command: ['credentials', 'list', '--summary'] },
  '-domain': { option: '--rp', value: true },
  '-delete': { command: ['credentials', 'delete'] },
  '-credential': { argument: true },
  '-fingerprint': { command: ['fingerprints', 'add'] },
  '-fingerprintname': { option: '--name', value: true },
  '-fingerprintlist': { command: ['fingerprints', 'list'] },
  '-renamefingerprint': { command: ['fingerprints', 'rename'], positional: 2 },
  '-deletefingerprint': { command: ['fingerprints', 'delete'], positional: 1 },
};

/** A single dash followed by a word: never a cluster of short options here (`-delete` is not `-d elete`). */
const SINGLE_DASH_WORD = /^-[A-Za-z][A-Za-z0-9]+$/;

const usage = (message: string, reason?: string): Fido2Error => new Fido2Error('usage', message, reason === undefined ? undefined : { reason });

function unknownWord(word: string): Fido2Error {
  const near = Object.keys(LEGACY_WORDS).find((w) => w.toLowerCase() === word.toLowerCase());
  const hint = near ? `did you mean ${near}? ` : '';
  return usage(`Unknown option ${word}: ${hint}options start with two dashes (run \`fido2-manage --help\`), or use one of fido2-manage's single-dash words (${Object.keys(LEGACY_WORDS).filter((w) => !('notYet' in LEGACY_WORDS[w]!)).join(' ')}).`);
}

/**
 * Rewrites legacy arguments (without node and script) into the modern form,
 * the command word first. `takesValue` says which modern options consume the
 * next argument, so a value such as `--pin -Secret1` is left alone.
 * Throws a usage error for an unknown or not-yet-supported single-dash word.
 */
export function rewriteLegacyArgs(args: readonly string[], takesValue: (option: string) => boolean = () => false): string[] {
  let command: string[] | undefined;
  let commandWord = '';
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const word = LEGACY_WORDS[a];
    if (word === undefined) {
      if (SINGLE_DASH_WORD.test(a)) throw unknownWord(a);
      rest.push(a);
      if (a.startsWith('-') && !a.includes('=') && takesValue(a) && i + 1 < args.length) rest.push(args[++i]!);
      continue;
    }
    const needsValue = ('command' in word && word.positional) || ('option' in word && word.value) || 'argument' in word;
    if (needsValue && i + 1 >= args.length) throw usage(`${a} needs a value after it, e.g. ${a === '-setMinimumPIN' ? '-setMinimumPIN 8' : `${a} 1`}.`);
    if ('notYet' in word) {
      throw usage(`${a} is not supported yet (${word.notYet} is still to come); run \`fido2-manage --help\` for what this version can do.`, 'not-supported-yet');
    }
    if ('option' in word) {
      rest.push(word.option);
      if (word.value) rest.push(args[++i]!);
      continue;
    }
    if ('argument' in word) {
      rest.push(args[++i]!);
      continue;
    }
    if (command !== undefined) throw usage(`${commandWord} and ${a} are two commands; give one per run.`);
    command = [...word.command];
    commandWord = a;
    for (let n = 0; n < (word.positional ?? 0); n++) {
      if (i + 1 >= args.length) throw usage(`${a} needs ${word.positional} values after it.`);
      rest.push(args[++i]!);
    }
  }
  return command === undefined ? rest : [...command, ...rest];
}
