import type { AuthenticatorInfo } from '../ctap/get-info.js';

/** The settings a change can touch, as read from getInfo: what `before` and `after` report in JSON. */
export interface KeyState {
  pinSet: boolean;
  minPINLength: number;
  forcePINChange: boolean;
  /** Absent when the key has no always-UV feature. */
  alwaysUv?: boolean;
  /** Absent when the key has no enterprise attestation. */
  enterpriseAttestation?: boolean;
}

export function keyState(info: AuthenticatorInfo): KeyState {
  const state: KeyState = {
    pinSet: info.options.clientPin === true,
    minPINLength: info.minPINLength ?? 4,
    forcePINChange: info.forcePINChange === true,
  };
  if (info.options.alwaysUv !== undefined) state.alwaysUv = info.options.alwaysUv;
  if (info.options.ep !== undefined) state.enterpriseAttestation = info.options.ep;
  return state;
}

/** `before` and `after` for a command's JSON document; with no change, both are the one state read. */
export function beforeAfter(before: AuthenticatorInfo, after: AuthenticatorInfo = before): { before: KeyState; after: KeyState } {
  return { before: keyState(before), after: keyState(after) };
}
