/**
 * The state a command handler works on: the profile, the persistent state,
 * the volatile state that a power cycle clears, and the ways to reach the
 * (simulated) user.
 */
import type { AttestationIdentity } from './attestation.js';
import type { CborMap } from './cbor.js';
import type { PinUvAuthProtocol } from './pin-protocol.js';
import type { Profile } from './profiles.js';
import type { PersistentState, StoredCredential } from './state.js';

/** Permission bits of a pinUvAuthToken (CTAP 2.1 §6.5.5.7). */
export const Permission = {
  mc: 0x01,
  ga: 0x02,
  cm: 0x04,
  be: 0x08,
  lbw: 0x10,
  acfg: 0x20,
} as const;

export interface PinUvAuthTokenState {
  readonly protocol: PinUvAuthProtocol;
  readonly value: Uint8Array;
  readonly permissions: number;
  /** The permissions RP ID; bound on first use when absent (§6.1.2 step 11). */
  rpId: string | undefined;
  /**
   * A touch already given for this token (built-in UV is a touch of the sensor,
   * §6.5.5.7.3 step 13); the first request that needs presence uses it up.
   */
  userPresent: boolean;
}

/** Remaining credentials of the last getAssertion, for getNextAssertion (§6.3). */
export interface AssertionBatch {
  readonly rpIdHash: Uint8Array;
  readonly clientDataHash: Uint8Array;
  readonly flags: number;
  readonly userVerified: boolean;
  readonly remaining: StoredCredential[];
  readonly expiresAt: number;
  /** The largeBlobKey extension asked for the credentials' keys (§12.3). */
  readonly largeBlobKey: boolean;
}

/**
 * What enumerateRPsGetNextRP / enumerateCredentialsGetNextCredential still
 * have to hand out (CTAP 2.1 §6.8.3, §6.8.4); any other request ends it.
 */
export type CredentialEnumeration =
  | { readonly kind: 'rps'; readonly remaining: { readonly id: string; readonly name: string | undefined }[] }
  | { readonly kind: 'credentials'; readonly remaining: StoredCredential[] };

export interface VolatileState {
  /** Key-agreement private keys, made on first use after power-up (§6.5.6 initialize()). */
  keyAgreement: Map<PinUvAuthProtocol, Uint8Array>;
  token: PinUvAuthTokenState | undefined;
  /** Wrong PINs since power-up; three block PIN entry until the next power cycle. */
  consecutivePinFailures: number;
  consecutiveUvFailures: number;
  poweredUpAt: number;
  assertions: AssertionBatch | undefined;
  credentialEnumeration: CredentialEnumeration | undefined;
  /** The fingerprint enrollment in progress (CTAP 2.1 §6.7.2): power loss abandons it. */
  enrollment: Enrollment | undefined;
  /** A large-blob array being written in fragments (CTAP 2.1 §6.10.3); committed when complete. */
  largeBlobWrite: LargeBlobWrite | undefined;
}

/** §6.10.3: a buffer of expectedLength bytes, filled up to `received` (expectedNextOffset). */
export interface LargeBlobWrite {
  readonly buffer: Uint8Array;
  received: number;
}

/** A fingerprint being enrolled: its template id and the good samples still wanted. */
export interface Enrollment {
  readonly templateId: Uint8Array;
  remaining: number;
}

export function freshVolatileState(now: number): VolatileState {
  return {
    keyAgreement: new Map(),
    token: undefined,
    consecutivePinFailures: 0,
    consecutiveUvFailures: 0,
    poweredUpAt: now,
    assertions: undefined,
    credentialEnumeration: undefined,
    enrollment: undefined,
    largeBlobWrite: undefined,
  };
}

/** How commands reach the user: the CTAPHID layer sends UPNEEDED keepalives meanwhile. */
export interface UserIo {
  /** Resolves once the user confirms; throws CtapStatusError (OPERATION_DENIED, KEEPALIVE_CANCEL). */
  userPresence(): Promise<void>;
  /** A built-in UV attempt (touch of the sensor included): true when the finger matched. */
  builtInUv(): Promise<boolean>;
  /** One enrollment capture after a touch: a lastEnrollSampleStatus (0 = good sample, §6.7.2). */
  captureSample(): Promise<number>;
}

export interface KeyContext {
  readonly profile: Profile;
  readonly state: PersistentState;
  readonly volatile: VolatileState;
  /** The key has a fingerprint sensor (it may hold no finger yet). */
  readonly sensor: boolean;
  /** Built-in UV is usable: a sensor with at least one enrolled finger. */
  readonly builtInUv: boolean;
  readonly quirks: { readonly toggleAlwaysUvIgnored: boolean };
  /** The makeCredUvNotRqd feature is built in (CTAP 2.1 §6.4); alwaysUv still turns it off while on. */
  readonly makeCredUvNotRqd: boolean;
  readonly resetWindowMs: number | undefined;
  /** getInfo maxSerializedLargeBlobArray; undefined on a key without large blobs (§6.10). */
  readonly largeBlobMax: number | undefined;
  /** getInfo transports (0x09); default ['usb']. */
  readonly transports?: readonly string[];
  readonly io: UserIo;
  /** The key's enterprise attestation key and certificate, made on first use (CTAP 2.1 §7.1). */
  attestation(): AttestationIdentity;
  now(): number;
  /** Call after every change to `state`, so --state files follow it. */
  persist(): void;
  /** Wipes credentials, PIN and settings (authenticatorReset). */
  factoryReset(): void;
}

export interface Request {
  readonly map: CborMap;
  readonly raw: ReadonlyMap<unknown, Uint8Array>;
}
