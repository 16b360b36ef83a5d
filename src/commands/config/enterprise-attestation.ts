import { enableEnterpriseAttestation } from '../../operations/config.js';
import { Fido2Error } from '../../errors.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { beforeAfter } from '../key-state.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';

/**
 * `enable-enterprise-attestation`: there is no command to turn it off again (only a reset does), so it
 * asks on a terminal and needs --yes without one; asked before the PIN is used, so "no" spends nothing.
 */
export async function runEnableEnterpriseAttestation(g: GlobalOptions, o: { yes?: boolean } = {}, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const confirm = async (): Promise<void> => {
      const ok = await confirmOnTerminal(
        o.yes,
        'Enable enterprise attestation? Sites the key is provisioned for can then identify this very key, and only a reset, which erases the key, turns it off.',
        'Enabling enterprise attestation cannot be undone (only a reset turns it off); pass --yes to confirm when not on a terminal. Nothing was changed.',
      );
      if (!ok) throw new Fido2Error('cancelled', 'Not enabled; nothing was changed.');
    };
    const r = await enableEnterpriseAttestation(s, cliAuthorizer(g, io), { confirm });
    const text = r.changed ? 'Enterprise attestation is now enabled (confirmed by the key).' : 'Enterprise attestation is already enabled; nothing to do.';
    report(g.json, { device: s.label, enterpriseAttestation: true, changed: r.changed, ...beforeAfter(r.before, r.after) }, text);
  });
}
