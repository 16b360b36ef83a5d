import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import { PERM_ACFG, PERM_BE, PERM_CM, PERM_LBW, PERM_MC } from '../../ctap/permissions.js';
import { obtainToken } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';

/**
 * A token with the permissions least likely to matter, so checking a PIN
 * grants nothing that outlives the command: a 2.1 key needs at least one
 * permission, and mc would need an RP ID.
 */
function harmlessPermission(info: AuthenticatorInfo): number {
  if (info.options.authnrCfg === true) return PERM_ACFG;
  if (info.options.credMgmt === true) return PERM_CM;
  if (info.options.largeBlobs === true) return PERM_LBW;
  if (info.options.bioEnroll !== undefined) return PERM_BE;
  return PERM_MC;
}

/** Checks a PIN by obtaining a token; changes nothing on the key. */
export async function runVerifyPin(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await s.ctap.getInfo();
    await obtainToken(s, info, g, io, harmlessPermission(info));
    report(g.json, { device: s.label, pinCorrect: true }, g.uv ? 'User verification succeeded.' : 'The PIN is correct.');
  });
}
