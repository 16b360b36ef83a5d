/**
 * "Is this the key the person means?": a request that ends when the key is
 * touched and changes nothing on it. CTAP 2.1 keys have authenticatorSelection
 * (§6.9); CTAP 2.0 keys are asked with a makeCredential carrying a zero-length
 * pinUvAuthParam, which §6.1.2 step 1 (2.0: §5.1 step 5) answers after a touch
 * with PIN_NOT_SET or PIN_INVALID and never creates a credential.
 */
import { Command, type Ctap2, type CborRequestOptions } from './ctap2.js';
import { isCtapError } from './errors.js';
import { type AuthenticatorInfo, supportsCtap21 } from './get-info.js';
import { Status } from './status.js';
import type { CborValue } from './cbor.js';
import { Fido2Error } from '../errors.js';

export type TouchMethod = 'selection' | 'make-credential-probe';

export function touchMethod(info: AuthenticatorInfo): TouchMethod | undefined {
  if (supportsCtap21(info)) return 'selection';
  if (info.versions.some((v) => v.startsWith('FIDO_2_'))) return 'make-credential-probe';
  return undefined;
}

/** The CTAP 2.0 touch probe: the key never gets far enough to look at rp or user. */
export function touchProbeParams(): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [1, new Uint8Array(32)],
    [2, new Map<CborValue, CborValue>([['id', '.dummy']])],
    [3, new Map<CborValue, CborValue>([['id', Uint8Array.of(0)], ['name', 'dummy']])],
    [4, [new Map<CborValue, CborValue>([['alg', -7], ['type', 'public-key']])]],
    [8, new Uint8Array(0)],
    [9, 1],
  ]);
}

/** Resolves once the key is touched; rejects with the key's error (denied, timeout, cancelled). */
export async function requestTouch(ctap: Ctap2, info: AuthenticatorInfo, opts?: CborRequestOptions): Promise<void> {
  const method = touchMethod(info);
  if (method === 'selection') {
    await ctap.selection(opts);
    return;
  }
  if (method === undefined) throw new Fido2Error('unsupported', 'This key speaks no CTAP2 (U2F only), so it cannot be asked for a touch.');
  try {
    await ctap.send(Command.makeCredential, touchProbeParams(), opts);
  } catch (e) {
    // Both answers mean "touched"; anything else (denied, timed out, cancelled) is passed on.
    if (isCtapError(e, Status.CTAP2_ERR_PIN_NOT_SET) || isCtapError(e, Status.CTAP2_ERR_PIN_INVALID)) return;
    throw e;
  }
  // Success would mean the key made a credential for ".dummy": it ignored the empty pinUvAuthParam.
  throw new Fido2Error('key-error', 'The key answered the touch probe by creating a credential for ".dummy"; it ignores an empty pinUvAuthParam (CTAP 2.1 §6.1.2 step 1).');
}
