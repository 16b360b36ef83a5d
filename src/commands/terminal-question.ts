import { createInterface } from 'node:readline/promises';
import { Fido2Error } from '../errors.js';
import { currentKeyContext } from './key-context.js';
import { printable } from './terminal-text.js';

/**
 * One visible question on the terminal. Ctrl-C there cancels the command
 * (exit 130) rather than surfacing readline's abort as an unexpected error;
 * Ctrl-D, the end of input, is an empty answer, so a "yes" is never assumed.
 */
export async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    abort.abort();
  });
  const ended = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
  try {
    return await Promise.race([rl.question(printable(question), { signal: abort.signal }), ended]);
  } catch (e) {
    if (interrupted) {
      process.stderr.write('\n');
      throw new Fido2Error('cancelled', 'Cancelled; nothing was changed.');
    }
    throw e;
  } finally {
    rl.close();
  }
}

/**
 * Irreversible changes go on only after a confirmation typed on a terminal,
 * or with --yes (`noTerminal` says so when there is no terminal to ask on;
 * on several keys at once, --yes is the only way).
 * `typeYes` wants the whole word, for changes that erase a whole key.
 */
export async function confirmOnTerminal(yes: boolean | undefined, question: string, noTerminal: string, o: { typeYes?: boolean } = {}): Promise<boolean> {
  if (yes) return true;
  // Several keys run at once under live progress lines: one question per key would interleave, so --yes says it for all.
  if (currentKeyContext()) {
    throw new Fido2Error('usage', 'On several keys this change is not asked key by key; pass --yes to confirm it for all of them. Nothing was changed on this key.', { reason: 'confirmation-needed' });
  }
  if (!process.stdin.isTTY) throw new Fido2Error('usage', noTerminal, { reason: 'confirmation-needed' });
  if (o.typeYes) return (await askOnTerminal(`${question} Type "yes" to go on: `)).trim() === 'yes';
  return /^y(es)?$/i.test((await askOnTerminal(`${question} [y/N] `)).trim());
}
