/**
 * How a platform verifies the user for makeCredential / getAssertion on a
 * given key (CTAP 2.1 §6.1.1, §6.2.1 and §6.5.5.7), and the token for it:
 *
 * - built-in UV and pinUvAuthToken: getPinUvAuthTokenUsingUvWithPermissions
 *   (0x06) with the `mc` or `ga` permission scoped to the RP ID;
 * - built-in UV without pinUvAuthToken (CTAP 2.0 / 2.1-PRE keys): the `uv`
 *   option on the request itself, no token;
 * - a PIN: getPinUvAuthTokenUsingPinWithPermissions (0x09) scoped to the RP
 *   ID, or getPinToken (0x05) on keys without pinUvAuthToken;
 * - none: the key cannot verify anyone now.
 *
 * A token's permissions are spent by the request that uses it with up=true
 * (§6.1.2 step 14, §6.2.2 step 9 "clearPinUvAuthTokenPermissionsExceptLbw"),
 * so each request that needs UV gets its own token.
 */
import type { ClientPin, PinUvAuthToken } from './client-pin.js';
import type { AuthenticatorInfo } from './get-info.js';
import { PERM_GA, PERM_MC } from './permissions.js';
import { Fido2Error } from '../errors.js';

export type UvMethod = 'uv-token' | 'uv-option' | 'pin-token' | 'none';

/** Built-in UV first (a browser offers the fingerprint and falls back to the PIN), then the PIN. */
export function userVerificationMethod(info: AuthenticatorInfo, opts: { builtIn?: boolean } = {}): UvMethod {
  const builtIn = opts.builtIn ?? true;
  if (builtIn && info.options.uv === true) return info.options.pinUvAuthToken === true ? 'uv-token' : 'uv-option';
  // §6.4 noMcGaPermissionsWithClientPin: the PIN cannot give mc/ga tokens on such keys.
  if (info.options.clientPin === true && info.options.noMcGaPermissionsWithClientPin !== true) return 'pin-token';
  return 'none';
}

export type RpOperation = 'mc' | 'ga';

export const permissionFor = (op: RpOperation): number => (op === 'mc' ? PERM_MC : PERM_GA);

/**
 * A token for one makeCredential ('mc') or getAssertion ('ga') on `rpId`.
 * `pin` is needed for 'pin-token' only; 'uv-option' and 'none' get no token.
 */
export async function rpToken(cp: ClientPin, method: UvMethod, op: RpOperation, rpId: string, pin?: string): Promise<PinUvAuthToken | undefined> {
  switch (method) {
    case 'uv-token':
      return cp.getUvToken(permissionFor(op), rpId);
    case 'pin-token':
      if (pin === undefined) throw new Fido2Error('pin-required', 'A PIN is needed to verify the user on this key.');
      return cp.getPinToken(pin, permissionFor(op), rpId);
    default:
      return undefined;
  }
}
