/**
 * The largeBlobKey extension (CTAP 2.1 §12.3): a discoverable credential may
 * get a random 32-byte key, which the platform uses to encrypt the
 * credential's entry in the large-blob array. It travels outside authData,
 * as makeCredential member 0x05 and getAssertion member 0x07.
 */
import { randomBytes } from 'node:crypto';
import type { CborMap } from './cbor.js';
import type { KeyContext } from './context.js';
import { optBool } from './params.js';
import { Status, fail } from './status.js';

export const LARGE_BLOB_KEY = 'largeBlobKey';

/**
 * Whether the request asks for the key. Only `true` is meaningful; `false`
 * is CTAP2_ERR_INVALID_OPTION. A key without large blobs ignores the
 * extension, as authenticators ignore extensions they do not support.
 */
export function wantsLargeBlobKey(ctx: KeyContext, extensions: CborMap | undefined): boolean {
  if (ctx.largeBlobMax === undefined || extensions === undefined) return false;
  const v = optBool(extensions, LARGE_BLOB_KEY);
  if (v === false) fail(Status.INVALID_OPTION);
  return v === true;
}

/**
 * makeCredential: the key is stored with the credential, so only a
 * discoverable one can have it; asked for without rk it is CTAP2_ERR_INVALID_OPTION.
 */
export function wantsLargeBlobKeyOnCreate(ctx: KeyContext, extensions: CborMap | undefined, rk: boolean): boolean {
  const wanted = wantsLargeBlobKey(ctx, extensions);
  if (wanted && !rk) fail(Status.INVALID_OPTION);
  return wanted;
}

export function newLargeBlobKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}
