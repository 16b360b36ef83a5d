/**
 * One pinUvAuthToken for one operation, with every rule that guards a PIN
 * attempt in one place: a PIN that cannot be right is refused locally, the
 * key's retries are read first (a key demanding a power cycle, or too close
 * to blocking, gets no PIN), and a wrong PIN is never retried.
 */
import { ClientPin, type PinUvAuthToken } from '../ctap/client-pin.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_ACFG } from '../ctap/permissions.js';
import { checkCurrentPin, surroundingSpaceHint } from '../ctap/pin-policy.js';
import { describePinRules } from '../ctap/pin-rules.js';
import { guardRetries as guardPinRetries, powerCycleAdvice } from '../ctap/pin-guard.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import { explain } from './explain.js';
import type { KeyHandle } from './key-handle.js';

export function clientPinFor(key: KeyHandle, info: AuthenticatorInfo, auth: Pick<Authorizer, 'pinProtocol'>): ClientPin {
  if (info.options.clientPin === undefined) {
    throw new Fido2Error('unsupported', `This key has no PIN support (versions: ${info.versions.join(', ')}).`);
  }
  return new ClientPin(key.ctap, info, auth.pinProtocol === undefined ? {} : { protocol: auth.pinProtocol });
}

/** True when the key is protected by a PIN or by built-in UV, so changes need a token (CTAP 2.1 §6.11.1). */
export function isProtected(info: AuthenticatorInfo): boolean {
  return info.options.clientPin === true || info.options.uv === true;
}

/** Reads the retries before a PIN is sent; refuses a key that would block or wants a power cycle. */
export function guardRetries(cp: ClientPin, auth: Pick<Authorizer, 'minRetries' | 'minRetriesName'>, label: string): Promise<number> {
  return guardPinRetries(cp, auth.minRetries === undefined ? { label } : { label, minRetries: auth.minRetries, minRetriesName: auth.minRetriesName ?? 'minRetries' });
}

/**
 * A token with exactly `permissions`, by PIN or (auth.useUv) by built-in UV.
 * `rpId` scopes an mc/ga token to one RP ID (CTAP 2.1 §6.5.5.7, permissions RP ID).
 */
export async function obtainToken(
  key: KeyHandle,
  info: AuthenticatorInfo,
  auth: Authorizer,
  permissions: number,
  cp: ClientPin = clientPinFor(key, info, auth),
  opts: { rpId?: string } = {},
): Promise<PinUvAuthToken> {
  if (auth.useUv) {
    if (info.options.uv !== true) {
      throw new Fido2Error('unsupported', 'This key has no built-in user verification set up (option uv); use the PIN instead of --uv.');
    }
    // CTAP 2.1 §6.5.5.7.3: the acfg permission by built-in UV needs the uvAcfg option.
    if (permissions & PERM_ACFG && info.options.uvAcfg !== true) {
      throw new Fido2Error('unsupported', 'This key cannot authorise configuration with built-in user verification (no uvAcfg option); use the PIN instead of --uv.');
    }
    auth.onPrompt?.('uv');
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
  const pin = checkCurrentPin(await auth.currentPin({ label: key.label, info }));
  await guardRetries(cp, auth, key.label);
  try {
    return await cp.getPinToken(pin, permissions, opts.rpId);
  } catch (e) {
    throw await explainWithRetries(e, cp, info, key.label, pin);
  }
}

/** Adds the retries left to a wrong-PIN error; a failure to read them leaves the message without it. */
export async function explainWithRetries(e: unknown, cp: ClientPin, info: AuthenticatorInfo, label = '', pin?: string): Promise<unknown> {
  // PIN_INVALID and PIN_AUTH_BLOCKED (the third wrong PIN in a row) both say how many attempts are left.
  if (e instanceof CtapError && (e.status === 0x31 || e.status === 0x34)) {
    const retries = await cp.getPinRetries().then((r) => r.retries, () => undefined);
    return explain(e, { retries, minPINLength: info.minPINLength, powerCycle: powerCycleAdvice(label), hint: surroundingSpaceHint(pin) });
  }
  return explain(e, { minPINLength: info.minPINLength, forcePINChange: info.forcePINChange, pinRules: describePinRules(info) });
}
