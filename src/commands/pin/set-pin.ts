import { checkNewPin } from '../../ctap/pin-policy.js';
import { Fido2Error } from '../../errors.js';
import { clientPinFor, explainWithRetries } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo, readPin } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runSetPin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    const cp = clientPinFor(s, info, g);
    if (info.options.clientPin === true) {
      throw new Fido2Error('already-done', 'This key already has a PIN; nothing was changed. Use `fido2-manage change-pin` to change it.');
    }
    // FIDO2_PIN / --pin are accepted too, so `FIDO2_PIN=... fido2-manage set-pin` works in scripts.
    const pin = checkNewPin(await readPin('new', g, io, 'current'), info.minPINLength ?? 4);
    try {
      await cp.setPin(pin);
    } catch (e) {
      throw await explainWithRetries(e, cp, info);
    }
    // A success status is the key's own confirmation; another getInfo would only cost a round trip.
    report(g.json, { device: s.label, pinSet: true }, 'PIN set.');
  });
}
