import { ClientPin, type PinUvAuthToken } from '../ctap/client-pin.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { CtapError } from '../ctap/errors.js';
import { PERM_ACFG } from '../ctap/permissions.js';
import { checkCurrentPin, surroundingSpaceHint } from '../ctap/pin-policy.js';
import { guardRetries as guardPinRetries, powerCycleAdvice } from '../ctap/pin-guard.js';
import { Fido2Error } from '../errors.js';
import { type GlobalOptions, minRetries, pinProtocol } from './global-options.js';
import { explain } from './explain.js';
import { notice } from './output.js';
import { type PinIo, readPin } from './pin-input.js';
import type { Session } from './session.js';

export function clientPinFor(s: Session, info: AuthenticatorInfo, g: GlobalOptions): ClientPin {
  if (info.options.clientPin === undefined) {
    throw new Fido2Error('unsupported', `This key has no PIN support (versions: ${info.versions.join(', ')}).`);
  }
  return new ClientPin(s.ctap, info, { protocol: pinProtocol(g) });
}

/** True when the key is protected by a PIN or by built-in UV, so changes need a token (CTAP 2.1 §6.11.1). */
export function isProtected(info: AuthenticatorInfo): boolean {
  return info.options.clientPin === true || info.options.uv === true;
}

/**
 * One pinUvAuthToken with exactly the permissions asked, by PIN or (with --uv)
 * by built-in UV. A wrong PIN is never retried: the retries left are read back
 * (getPINRetries needs no PIN) and reported. `opts.rpId` scopes an mc/ga token
 * to one RP ID (CTAP 2.1 §6.5.5.7, permissions RP ID).
 */
export async function obtainToken(
  s: Session,
  info: AuthenticatorInfo,
  g: GlobalOptions,
  io: PinIo,
  permissions: number,
  cp: ClientPin = clientPinFor(s, info, g),
  opts: { rpId?: string } = {},
): Promise<PinUvAuthToken> {
  if (g.uv) {
    if (info.options.uv !== true) {
      throw new Fido2Error('unsupported', 'This key has no built-in user verification set up (option uv); use the PIN instead of --uv.');
    }
    // CTAP 2.1 §6.5.5.7.3: the acfg permission by built-in UV needs the uvAcfg option.
    if (permissions & PERM_ACFG && info.options.uvAcfg !== true) {
      throw new Fido2Error('unsupported', 'This key cannot authorise configuration with built-in user verification (no uvAcfg option); use the PIN instead of --uv.');
    }
    notice('Verify with your fingerprint on the key...');
    try {
      return await cp.getUvToken(permissions, opts.rpId);
    } catch (e) {
      throw explain(e);
    }
  }
  if (info.options.clientPin !== true) {
    const uvHint = info.options.uv === true ? ', or pass --uv to use its built-in user verification' : '';
    throw new Fido2Error('pin-required', `This needs a PIN and none is set on the key; set one first with \`fido2-manage set-pin\`${uvHint}.`);
  }
  if (info.forcePINChange === true) {
    throw new Fido2Error('pin-policy', 'The key requires a new PIN before anything else; run `fido2-manage change-pin` first.');
  }
  const pin = checkCurrentPin(await readPin('current', g, io));
  await guardRetries(cp, g, s.label);
  try {
    return await cp.getPinToken(pin, permissions, opts.rpId);
  } catch (e) {
    throw await explainWithRetries(e, cp, info, s.label, pin);
  }
}

/** guardRetries with the command line's --min-retries. */
export function guardRetries(cp: ClientPin, g: GlobalOptions, label = ''): Promise<number> {
  const floor = minRetries(g);
  return guardPinRetries(cp, floor === undefined ? { label } : { label, minRetries: floor, minRetriesName: '--min-retries' });
}

/** Adds the retries left to a wrong-PIN error; a failure to read them leaves the message without it. */
export async function explainWithRetries(e: unknown, cp: ClientPin, info: AuthenticatorInfo, label = '', pin?: string): Promise<unknown> {
  // PIN_INVALID and PIN_AUTH_BLOCKED (the third wrong PIN in a row) both say how many attempts are left.
  if (e instanceof CtapError && (e.status === 0x31 || e.status === 0x34)) {
    const retries = await cp.getPinRetries().then((r) => r.retries, () => undefined);
    return explain(e, { retries, minPINLength: info.minPINLength, powerCycle: powerCycleAdvice(label), hint: surroundingSpaceHint(pin) });
  }
  return explain(e, { minPINLength: info.minPINLength, forcePINChange: info.forcePINChange });
}
