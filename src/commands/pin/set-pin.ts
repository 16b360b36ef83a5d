import { checkNewPin } from '../../ctap/pin-policy.js';
import { Fido2Error } from '../../errors.js';
import { clientPinFor, explainWithRetries } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
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
    // `after` is read back from the key, as for every change.
    report(g.json, { device: s.label, pinSet: true, ...beforeAfter(info, await s.ctap.getInfo()) }, 'PIN set.');
  });
}
