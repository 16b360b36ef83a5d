/**
 * Which requests `uv-check --live` sends, decided from the getInfo facts
 * alone (pure). Each distinct request goes once: registration without and
 * with user verification, sign-in without and with it, and a silent sign-in
 * (`up: false`); the passkey row only when asked for and the key has a PIN
 * and credential management to delete the passkey again. Every credential is
 * non-discoverable except that one passkey, so nothing else stays on the key.
 */
import { isProtected, keyDemandsUv, type Row, type UvFacts } from '../../ctap/uv-prediction.js';

export const PROBE_RP_ID = 'uv-check.invalid';

export type ProbeId = 'mc-plain' | 'mc-verified' | 'ga-plain' | 'ga-verified' | 'ga-silent' | 'passkey-plain' | 'passkey-verified';

/** How a probe verifies the user: not at all, a PIN token, a built-in UV token (0x06), or the `uv` option. */
export type Verify = 'none' | 'pin-token' | 'uv-token' | 'uv-option';

/** What CTAP 2.1 says the key answers to a request without verification. */
export type PlainExpectation = 'touch' | 'built-in-uv' | 'refused';

export interface Probe {
  readonly id: ProbeId;
  readonly op: 'mc' | 'ga';
  readonly row: Row;
  readonly rk: boolean;
  readonly up: boolean;
  readonly verify: Verify;
  /** The person is asked to touch the key (or its sensor) for this probe. */
  readonly touch: boolean;
  /** For probes without verification: what the key should do. */
  readonly expect?: PlainExpectation;
}

export type PasskeyPlan = 'live' | 'not-asked' | 'no-pin' | 'no-credential-management' | 'u2f-only';

export interface ProbePlan {
  readonly probes: readonly Probe[];
  /** Touches asked for, the passkey's deletion included. */
  readonly touches: number;
  /** The PIN is read (once) only when a probe or the passkey deletion needs it. */
  readonly needsPin: boolean;
  readonly passkey: PasskeyPlan;
  /** How the passkey is deleted again: a `cm` token from the PIN or from built-in UV. */
  readonly deleteWith?: 'pin-token' | 'uv-token';
}

/** As a browser would: the fingerprint first, then the PIN (CTAP 2.1 §6.1.1, §6.2.1). */
export function verifyMethod(f: UvFacts): Verify {
  if (f.builtInUv === 'enrolled') return f.pinUvAuthToken ? 'uv-token' : 'uv-option';
  if (f.clientPin === 'set') return 'pin-token';
  return 'none';
}

/**
 * A request without token or `uv` option: refused when the key demands UV,
 * except that an always-UV key with an enrolled finger verifies by itself
 * (CTAP 2.1 §6.1.2 step 6.3, §6.2.2 step 5: the `uv` option is treated as true).
 */
export function plainExpectation(f: UvFacts, row: Row): PlainExpectation {
  const demand = keyDemandsUv(f, row);
  if (demand === undefined) return 'touch';
  if (demand === 'always-uv' && f.builtInUv === 'enrolled') return 'built-in-uv';
  return 'refused';
}

export function planProbes(f: UvFacts, opts: { includePasskey: boolean; credentialManagement: boolean }): ProbePlan {
  if (f.ctap === 'u2f-only') return { probes: [], touches: 0, needsPin: false, passkey: 'u2f-only' };
  const verify = verifyMethod(f);
  const probes: Probe[] = [];
  const plain = (id: ProbeId, op: 'mc' | 'ga', row: Row, rk: boolean): void => {
    const expect = plainExpectation(f, row);
    probes.push({ id, op, row, rk, up: true, verify: 'none', touch: expect !== 'refused', expect });
  };
  const verified = (id: ProbeId, op: 'mc' | 'ga', row: Row, rk: boolean): void => {
    if (verify !== 'none') probes.push({ id, op, row, rk, up: true, verify, touch: true });
  };
  plain('mc-plain', 'mc', 'register', false);
  verified('mc-verified', 'mc', 'register', false);
  plain('ga-plain', 'ga', 'sign-in', false);
  verified('ga-verified', 'ga', 'sign-in', false);
  // §6.2.2 step 5 applies alwaysUv only when "up" is true: a silent request is answered without a touch.
  probes.push({ id: 'ga-silent', op: 'ga', row: 'sign-in', rk: false, up: false, verify: 'none', touch: false, expect: 'touch' });

  let passkey: PasskeyPlan = 'not-asked';
  let deleteWith: 'pin-token' | 'uv-token' | undefined;
  if (opts.includePasskey) {
    if (f.clientPin !== 'set') passkey = 'no-pin';
    else if (!opts.credentialManagement) passkey = 'no-credential-management';
    else {
      passkey = 'live';
      plain('passkey-plain', 'mc', 'passkey', true);
      verified('passkey-verified', 'mc', 'passkey', true);
      deleteWith = verify === 'uv-token' ? 'uv-token' : 'pin-token';
    }
  }
  const touches = probes.filter((p) => p.touch).length + (deleteWith === 'uv-token' ? 1 : 0);
  const needsPin = probes.some((p) => p.verify === 'pin-token') || deleteWith === 'pin-token';
  return { probes, touches, needsPin, passkey, ...(deleteWith === undefined ? {} : { deleteWith }) };
}

/** Whether a cell's browser would verify before sending (WebAuthn userVerification on this key). */
export function siteVerifies(f: UvFacts, column: 'discouraged' | 'preferred' | 'required'): boolean {
  return column === 'required' || (column === 'preferred' && isProtected(f));
}
