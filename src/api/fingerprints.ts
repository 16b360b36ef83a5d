/**
 * What `Fido2Key`'s fingerprint methods add to the operations in
 * src/operations/fingerprints.ts: verifying by a finger instead of the PIN,
 * and a signal that cancels one enrollment without closing the key.
 */
import { Ctap2 } from '../ctap/ctap2.js';
import type { Authorizer } from '../operations/authorizer.js';
import type { DeleteOptions, EnrollOptions } from '../operations/fingerprints.js';
import type { KeyHandle } from '../operations/key-handle.js';

export type { CaptureEvent, DeleteOptions, DeleteResult, EnrollOptions, EnrollResult, FingerprintList, RenameResult, SampleEvent, SensorInfo, Template, TemplateIdInput } from '../operations/fingerprints.js';

export interface FingerprintAuthOptions {
  /** Authorise with a finger already enrolled (the key's built-in UV) instead of the PIN. */
  useUv?: boolean;
}

export interface EnrollFingerprintOptions extends EnrollOptions, FingerprintAuthOptions {
  /**
   * Cancels this enrollment: the pending capture gets CTAPHID_CANCEL, the key
   * is told cancelCurrentEnrollment, and the call rejects with kind 'cancelled'.
   */
  signal?: AbortSignal;
}

export interface DeleteFingerprintOptions extends DeleteOptions, FingerprintAuthOptions {}

/** The authorizer, switched to built-in UV when asked. */
export function fingerprintAuth(auth: Authorizer, o: FingerprintAuthOptions): Authorizer {
  return o.useUv ? { ...auth, useUv: true } : auth;
}

/** The key's handle for one call, cancelled by the key's signal or the call's. */
export function callHandle(handle: KeyHandle, keySignal: AbortSignal | undefined, callSignal: AbortSignal | undefined): KeyHandle {
  if (callSignal === undefined) return handle;
  const signal = keySignal === undefined ? callSignal : AbortSignal.any([keySignal, callSignal]);
  return { ...handle, ctap: new Ctap2(handle.device, { signal }) };
}
