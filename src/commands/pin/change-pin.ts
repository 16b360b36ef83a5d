import { checkPinChange } from '../../ctap/pin-policy.js';
import { Fido2Error } from '../../errors.js';
import { clientPinFor, explainWithRetries, guardRetries } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo, readPin } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runChangePin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    const cp = clientPinFor(s, info, g);
    if (info.options.clientPin !== true) {
      throw new Fido2Error('pin-required', 'This key has no PIN yet; set one with `fido2-manage set-pin`.');
    }
    const { current, next } = checkPinChange(await readPin('current', g, io), await readPin('new', g, io), info.minPINLength ?? 4);
    await guardRetries(cp, g, s.label);
    try {
      await cp.changePin(current, next);
    } catch (e) {
      throw await explainWithRetries(e, cp, info, s.label, current);
    }
    // `after` is read back from the key, as for every change (forcePINChange clears).
    report(g.json, { device: s.label, pinChanged: true, ...beforeAfter(info, await s.ctap.getInfo()) }, 'PIN changed.');
  });
}
