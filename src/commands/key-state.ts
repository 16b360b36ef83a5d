import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { type KeyState, keyStateFromInfo } from '../operations/settings-plan.js';

/**
 * The settings a change can touch, as every `--json` document names them
 * (`before`, `after`, and `apply`'s per-key states use the same names).
 */
export interface SettingsJson {
  pinSet: boolean;
  minPinLength: number;
  forcePinChange: boolean;
  /** Absent when the key has no always-UV feature. */
  alwaysUv?: boolean;
  /** Absent when the key has no enterprise attestation. */
  enterpriseAttestation?: boolean;
  /** Absent when the key does not report one (before CTAP 2.2). */
  pinComplexityPolicy?: boolean;
  /** Absent when the key does not report it (before CTAP 2.2). */
  longTouchForReset?: boolean;
}

export function settingsJson(state: KeyState): SettingsJson {
  const out: SettingsJson = { pinSet: state.pinSet === true, minPinLength: state.minPinLength, forcePinChange: state.forcePinChange };
  if (state.alwaysUv !== undefined) out.alwaysUv = state.alwaysUv;
  if (state.enterpriseAttestation !== undefined) out.enterpriseAttestation = state.enterpriseAttestation;
  if (state.pinComplexityPolicy !== undefined) out.pinComplexityPolicy = state.pinComplexityPolicy;
  if (state.longTouchForReset !== undefined) out.longTouchForReset = state.longTouchForReset;
  return out;
}

/** `before` and `after` for a command's JSON document; with no change, both are the one state read. */
export function beforeAfter(before: AuthenticatorInfo | KeyState, after: AuthenticatorInfo | KeyState = before): { before: SettingsJson; after: SettingsJson } {
  const state = (s: AuthenticatorInfo | KeyState): KeyState => ('options' in s ? keyStateFromInfo(s) : s);
  return { before: settingsJson(state(before)), after: settingsJson(state(after)) };
}
