import { verifyPin } from '../../operations/pin.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

/** Checks a PIN by obtaining a token; changes nothing on the key. */
export async function runVerifyPin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    await verifyPin(s, cliAuthorizer(g, io));
    report(g.json, { device: s.label, pinCorrect: true }, g.uv ? 'User verification succeeded.' : 'The PIN is correct.');
  });
}
