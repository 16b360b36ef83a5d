import { enableEnterpriseAttestation } from '../../operations/config.js';
import type { GlobalOptions } from '../global-options.js';
import type { PinIo } from '../pin-input.js';
import { runOneWaySetting } from './one-way-setting.js';

/** `enable-enterprise-attestation`: only a reset turns it off, so it is confirmed first. */
export function runEnableEnterpriseAttestation(g: GlobalOptions, o: { yes?: boolean } = {}, io?: PinIo): Promise<void> {
  return runOneWaySetting(
    {
      run: enableEnterpriseAttestation,
      field: 'enterpriseAttestation',
      question: 'Enable enterprise attestation? Sites the key is provisioned for can then identify this very key, and only a reset, which erases the key, turns it off.',
      withoutTerminal: 'Enabling enterprise attestation cannot be undone (only a reset turns it off); pass --yes to confirm when not on a terminal. Nothing was changed.',
      done: 'Enterprise attestation is now enabled (confirmed by the key).',
      already: 'Enterprise attestation is already enabled; nothing to do.',
    },
    g,
    o,
    io,
  );
}
