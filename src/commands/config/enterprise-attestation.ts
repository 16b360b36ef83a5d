import { Fido2Error } from '../../errors.js';
import { configStep, openConfig, requireConfig } from './config-support.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

/** enableEnterpriseAttestation (CTAP 2.1 §6.11.2); only keys listing the `ep` option have it. */
export async function runEnableEnterpriseAttestation(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
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
    const config = await openConfig(s, info, g, io);
    await configStep(() => config.enableEnterpriseAttestation(), info);
    const after = await s.ctap.getInfo();
    if (after.options.ep !== true) {
      throw new Fido2Error('not-confirmed', 'The key accepted the request but does not report enterprise attestation as enabled.');
    }
    report(g.json, { device: s.label, enterpriseAttestation: true, changed: true, ...beforeAfter(info, after) }, 'Enterprise attestation is now enabled (confirmed by the key).');
  });
}
