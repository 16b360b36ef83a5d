/**
 * The PIN (clientPIN, CTAP 2.1 §6.5): set the first one, change it, check it,
 * read the retries. The new PIN is checked locally against the key's rules
 * before it is sent, the retries are read before a current PIN is sent, and
 * the state after is read back from the key.
 */
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_ACFG, PERM_BE, PERM_CM, PERM_LBW, PERM_MC } from '../ctap/permissions.js';
import { checkNewPin, checkPinChange } from '../ctap/pin-policy.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import type { KeyHandle } from './key-handle.js';
import { type KeyState, keyStateFromInfo } from './settings-plan.js';
import { clientPinFor, explainWithRetries, guardRetries, obtainToken } from './token.js';

export interface PinChangeResult {
  before: KeyState;
  after: KeyState;
}

/** Sets the first PIN; 'already-done' when the key has one. */
export async function setPin(key: KeyHandle, auth: Authorizer): Promise<PinChangeResult> {
  const info = await key.ctap.getInfo();
  const cp = clientPinFor(key, info, auth);
  if (info.options.clientPin === true) {
    throw new Fido2Error('already-done', 'This key already has a PIN; nothing was changed. Use `fido2-manage change-pin` to change it.');
  }
  const pin = checkNewPin(await auth.newPin({ label: key.label, info, purpose: 'set' }), info.minPINLength ?? 4, info.maxPINLength);
  try {
    await cp.setPin(pin);
  } catch (e) {
    throw await explainWithRetries(e, cp, info);
  }
  return { before: keyStateFromInfo(info), after: keyStateFromInfo(await key.ctap.getInfo()) };
}

/** Changes the PIN; the current one is sent only after the retries were read. */
export async function changePin(key: KeyHandle, auth: Authorizer): Promise<PinChangeResult> {
  const info = await key.ctap.getInfo();
  const cp = clientPinFor(key, info, auth);
  if (info.options.clientPin !== true) {
    throw new Fido2Error('pin-required', 'This key has no PIN yet; set one with `fido2-manage set-pin`.');
  }
  const req = { label: key.label, info };
  const { current, next } = checkPinChange(await auth.currentPin(req), await auth.newPin({ ...req, purpose: 'change' }), info.minPINLength ?? 4, info.maxPINLength);
  await guardRetries(cp, auth, key.label);
  try {
    await cp.changePin(current, next);
  } catch (e) {
    throw await explainWithRetries(e, cp, info, key.label, current);
  }
  // forcePINChange clears: read back from the key, as for every change.
  return { before: keyStateFromInfo(info), after: keyStateFromInfo(await key.ctap.getInfo()) };
}

/**
 * A token with the permission least likely to matter, so checking a PIN
 * grants nothing that outlives the call: a 2.1 key needs at least one
 * permission, and mc would need an RP ID.
 */
function harmlessPermission(info: AuthenticatorInfo): number {
  if (info.options.authnrCfg === true) return PERM_ACFG;
  if (info.options.credMgmt === true) return PERM_CM;
  if (info.options.largeBlobs === true) return PERM_LBW;
  if (info.options.bioEnroll !== undefined) return PERM_BE;
  return PERM_MC;
}

/** Checks the PIN (or built-in UV) by obtaining a token; changes nothing on the key. A wrong PIN is a 'pin-invalid' error. */
export async function verifyPin(key: KeyHandle, auth: Authorizer): Promise<void> {
  const info = await key.ctap.getInfo();
  await obtainToken(key, info, auth, harmlessPermission(info));
}

export interface Retries {
  pinSet: boolean;
  pinRetries: number;
  /** Present on keys with built-in UV. */
  uvRetries?: number;
  powerCycleRequired: boolean;
}

/** getPINRetries and getUVRetries need no PIN (§6.5.5.2, §6.5.5.3). */
export async function readRetries(key: KeyHandle, auth: Pick<Authorizer, 'pinProtocol'> = {}): Promise<Retries> {
  const info = await key.ctap.getInfo();
  const cp = clientPinFor(key, info, auth);
  const pin = await cp.getPinRetries();
  const uvRetries = info.options.uv !== undefined ? await cp.getUvRetries() : undefined;
  return { pinSet: info.options.clientPin === true, pinRetries: pin.retries, ...(uvRetries === undefined ? {} : { uvRetries }), powerCycleRequired: pin.powerCycleState === true };
}
