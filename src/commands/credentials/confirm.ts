import { createInterface } from 'node:readline/promises';
import { Fido2Error } from '../../errors.js';

/**
 * Asks on the terminal; without one, `--yes` is the only way on. The question
 * names what is lost so a person can tell the right passkey from a wrong one.
 */
export async function confirmOnTerminal(yes: boolean | undefined, question: string, noTerminal: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new Fido2Error('usage', noTerminal, { reason: 'confirmation-needed' });
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
