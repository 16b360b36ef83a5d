import { Fido2Error } from '../../errors.js';
import { configStep, openConfig, requireConfig } from './config-support.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';

/**
 * enableEnterpriseAttestation (CTAP 2.1 §6.11.2); only keys listing the `ep` option have it. There is no
 * command to turn it off again (only a reset does), so it asks on a terminal and needs --yes without one.
 */
export async function runEnableEnterpriseAttestation(g: GlobalOptions, o: { yes?: boolean } = {}, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    requireConfig(info, 'Enterprise attestation');
    if (info.options.ep === undefined) {
      throw new Fido2Error('unsupported', 'Enterprise attestation is not supported by this key (no ep option in getInfo).');
    }
    if (info.options.ep === true) {
      report(g.json, { device: s.label, enterpriseAttestation: true, changed: false, ...beforeAfter(info) }, 'Enterprise attestation is already enabled; nothing to do.');
      return;
    }
    const ok = await confirmOnTerminal(
      o.yes,
      'Enable enterprise attestation? Sites the key is provisioned for can then identify this very key, and only a reset, which erases the key, turns it off.',
      'Enabling enterprise attestation cannot be undone (only a reset turns it off); pass --yes to confirm when not on a terminal. Nothing was changed.',
    );
    if (!ok) throw new Fido2Error('cancelled', 'Not enabled; nothing was changed.');
    const config = await openConfig(s, info, g, io);
    await configStep(() => config.enableEnterpriseAttestation(), info);
    const after = await s.ctap.getInfo();
    if (after.options.ep !== true) {
      throw new Fido2Error('not-confirmed', 'The key accepted the request but does not report enterprise attestation as enabled.');
    }
    report(g.json, { device: s.label, enterpriseAttestation: true, changed: true, ...beforeAfter(info, after) }, 'Enterprise attestation is now enabled (confirmed by the key).');
  });
}
