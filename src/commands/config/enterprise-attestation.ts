import { enableEnterpriseAttestation } from '../../operations/config.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

export async function runEnableEnterpriseAttestation(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const r = await enableEnterpriseAttestation(s, cliAuthorizer(g, io));
    const text = r.changed ? 'Enterprise attestation is now enabled (confirmed by the key).' : 'Enterprise attestation is already enabled; nothing to do.';
    report(g.json, { device: s.label, enterpriseAttestation: true, changed: r.changed, ...beforeAfter(r.before, r.after) }, text);
  });
}
