import { createInterface } from 'node:readline/promises';
import { Fido2Error } from '../../errors.js';
import { explain } from '../explain.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { withSession } from '../session.js';

async function confirmed(yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    throw new Fido2Error('usage', 'reset erases every credential, the PIN and all settings on the key; pass --yes to confirm when not on a terminal.');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question('This erases every credential, the PIN and all settings on the key. Type "yes" to go on: ')).trim() === 'yes';
  } finally {
    rl.close();
  }
}

/** authenticatorReset (CTAP 2.1 §6.6): needs a touch, and most keys accept it only within seconds of power-up. */
export async function runReset(o: { yes?: boolean }, g: GlobalOptions): Promise<void> {
  if (!(await confirmed(o.yes))) throw new Fido2Error('cancelled', 'Reset cancelled; nothing was changed.');
  await withSession(g, async (s) => {
    const before = await s.ctap.getInfo();
    try {
      await s.ctap.reset();
    } catch (e) {
      throw explain(e);
    }
    report(g.json, { device: s.label, reset: true, ...beforeAfter(before, await s.ctap.getInfo()) }, 'The key was reset: no PIN, no credentials, default settings.');
  });
}
