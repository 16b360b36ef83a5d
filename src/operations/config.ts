/**
 * One setting at a time (authenticatorConfig, CTAP 2.1 §6.11), as the `uvs`,
 * `uvd`, `min-pin-length`, `force-pin-change` and `enable-enterprise-attestation`
 * commands and the library's Fido2Key change them: each is a one-setting policy
 * run by applySettings, so it is sent only when the key differs, needs the same
 * local checks as `apply`, and is read back.
 */
import type { Authorizer } from './authorizer.js';
import type { KeyHandle } from './key-handle.js';
import { type ApplyKeyResult, applySettings, type SettingsOptions } from './settings.js';
import type { KeyState } from './settings-plan.js';

/** How a caller takes part: `confirm` sees the planned steps before anything is sent (the CLI asks there). */
export type SettingOptions = Pick<SettingsOptions, 'confirm'>;

/** A settings change on one key: `changed` false when the key already had it. */
export interface SettingResult extends ApplyKeyResult {
  before: KeyState;
  after: KeyState;
}

// applySettings returns only after reading the key, before and after; it throws otherwise.
const settled = (r: ApplyKeyResult): SettingResult => r as SettingResult;

/** Always-UV on or off (toggleAlwaysUv flips it, so it is sent only when the key differs, and never twice). */
export async function setAlwaysUv(key: KeyHandle, auth: Authorizer, on: boolean): Promise<SettingResult> {
  return settled(await applySettings(key, { alwaysUv: on }, auth, { requireSupport: true }));
}

export interface MinPinLengthRequest {
  length: number;
  /** Sites allowed to read the minimum PIN length (sent even when the length stays). */
  rpIds?: string[];
  /** Also require a new PIN before the key is used again. */
  forceChange?: boolean;
  /** Also turn on the key's PIN complexity policy (CTAP 2.2 setMinPINLength pinComplexityPolicy), where it has one. */
  complexity?: boolean;
}

/** setMinPINLength (§6.11.4): the minimum can only go up, so a lower one is refused before anything is sent. */
export async function setMinPinLength(key: KeyHandle, auth: Authorizer, req: MinPinLengthRequest, o: SettingOptions = {}): Promise<SettingResult> {
  const minPinLength = {
    length: req.length,
    ...(req.rpIds?.length ? { rpIds: req.rpIds } : {}),
    ...(req.forceChange ? { forceChange: true } : {}),
    ...(req.complexity ? { complexity: true } : {}),
  };
  return settled(await applySettings(key, { minPinLength }, auth, { ...o, rpIdsAtSameLength: true, requireSupport: true }));
}

/** setMinPINLength with only forceChangePin (§6.11.4): the PIN must be changed before the key issues tokens again. */
export async function forcePinChange(key: KeyHandle, auth: Authorizer): Promise<SettingResult> {
  return settled(await applySettings(key, { forcePinChange: true }, auth, { requireSupport: true }));
}

/** enableEnterpriseAttestation (§6.11.2); only keys listing the `ep` option have it. It cannot be turned off but by a reset. */
export async function enableEnterpriseAttestation(key: KeyHandle, auth: Authorizer, o: SettingOptions = {}): Promise<SettingResult> {
  return settled(await applySettings(key, { enterpriseAttestation: true }, auth, { ...o, requireSupport: true }));
}

/**
 * enableLongTouchForReset (CTAP 2.2 authenticatorConfig 0x04): a reset then needs a long touch. Only keys that
 * report longTouchForReset and list the subcommand have it, and no subcommand turns it off again.
 */
export async function enableLongTouchForReset(key: KeyHandle, auth: Authorizer, o: SettingOptions = {}): Promise<SettingResult> {
  return settled(await applySettings(key, { longTouchForReset: true }, auth, { ...o, requireSupport: true }));
}
