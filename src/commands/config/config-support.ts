import { AuthenticatorConfig } from '../../ctap/authenticator-config.js';
import type { PinUvAuthToken } from '../../ctap/client-pin.js';
import { type AuthenticatorInfo, supportsCtap21 } from '../../ctap/get-info.js';
import { PERM_ACFG } from '../../ctap/permissions.js';
import { Fido2Error } from '../../errors.js';
import { isProtected, obtainToken } from '../authorize.js';
import { explain } from '../explain.js';
import type { GlobalOptions } from '../global-options.js';
import type { PinIo } from '../pin-input.js';
import type { Session } from '../session.js';

/** authenticatorConfig exists only on CTAP 2.1 keys that list authnrCfg (CTAP 2.1 §6.11); 2.1-PRE keys do not have it. */
export function requireConfig(info: AuthenticatorInfo, what: string): void {
  if (!supportsCtap21(info) || info.options.authnrCfg !== true) {
    throw new Fido2Error('unsupported', `${what} is not supported by this key: it needs CTAP 2.1 with authenticatorConfig, and the key speaks ${info.versions.join(', ')}.`);
  }
}

/**
 * authenticatorConfig for one command: with an acfg token when the key is
 * protected by a PIN or UV (or when the user offered --uv), without one otherwise,
 * as CTAP 2.1 §6.11.1 allows for an unprotected key. With always-UV on, keys
 * ask for a token for every change but toggling always-UV itself.
 */
export async function openConfig(s: Session, info: AuthenticatorInfo, g: GlobalOptions, io: PinIo, step: 'toggle-always-uv' | 'other' = 'other'): Promise<AuthenticatorConfig> {
  const alwaysUvGuards = info.options.alwaysUv === true && step !== 'toggle-always-uv';
  const needToken = isProtected(info) || alwaysUvGuards || g.uv === true;
  const token: PinUvAuthToken | undefined = needToken ? await obtainToken(s, info, g, io, PERM_ACFG) : undefined;
  return new AuthenticatorConfig(s.ctap, token);
}

/** Runs one config step and words the key's refusal for people. */
export async function configStep(step: () => Promise<void>, info: AuthenticatorInfo): Promise<void> {
  try {
    await step();
  } catch (e) {
    throw explain(e, { minPINLength: info.minPINLength });
  }
}
