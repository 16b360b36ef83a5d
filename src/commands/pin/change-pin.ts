import { checkNewPin } from '../../ctap/pin-policy.js';
import { Fido2Error } from '../../errors.js';
import { clientPinFor, explainWithRetries, guardRetries } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo, readPin } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runChangePin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    const cp = clientPinFor(s, info, g);
    if (info.options.clientPin !== true) {
      throw new Fido2Error('pin-required', 'This key has no PIN yet; set one with `fido2-manage set-pin`.');
    }
    const current = await readPin('current', g, io);
    const next = checkNewPin(await readPin('new', g, io), info.minPINLength ?? 4);
    await guardRetries(cp, g);
    try {
      await cp.changePin(current, next);
    } catch (e) {
      throw await explainWithRetries(e, cp, info);
    }
    // A success status is the key's own confirmation; another getInfo would only cost a round trip.
    report(g.json, { device: s.label, pinChanged: true }, 'PIN changed.');
  });
}
