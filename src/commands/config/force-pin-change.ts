import { Fido2Error } from '../../errors.js';
import { configStep, openConfig, requireConfig } from './config-support.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

/** setMinPINLength with only forceChangePin (CTAP 2.1 §6.11.4): the PIN must be changed before the key issues tokens again. */
export async function runForcePinChange(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    requireConfig(info, 'Forcing a PIN change');
    if (info.options.setMinPINLength !== true) {
      throw new Fido2Error('unsupported', 'Forcing a PIN change is not supported by this key (option setMinPINLength is off).');
    }
    if (info.options.clientPin !== true) {
      throw new Fido2Error('pin-required', 'This key has no PIN to change; set one with `fido2-manage set-pin`.');
    }
    if (info.forcePINChange === true) {
      report(g.json, { device: s.label, forcePINChange: true, changed: false, ...beforeAfter(info) }, 'A PIN change is already required; nothing to do.');
      return;
    }
    const config = await openConfig(s, info, g, io);
    await configStep(() => config.setMinPinLength({ forceChangePin: true }), info);
    const after = await s.ctap.getInfo();
    if (after.forcePINChange !== true) {
      throw new Fido2Error('not-confirmed', 'The key accepted the request but does not report a pending PIN change.');
    }
    report(g.json, { device: s.label, forcePINChange: true, changed: true, ...beforeAfter(info, after) }, 'The key will require a new PIN before anything else (change-pin).');
  });
}
