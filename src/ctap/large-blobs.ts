/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10, command 0x0C): reading and writing
 * the serialized large-blob array in fragments. The array's format and the
 * entries' crypto are in large-blob-entries.ts.
 *
 * Reading needs no token (§6.10.2). Writing replaces the whole array, one
 * fragment after another from offset 0; the first fragment carries the total
 * length, and on a key protected by a PIN or built-in UV every fragment
 * carries a pinUvAuthParam from a token with the `lbw` permission (§6.10.3).
 */
import { createHash } from 'node:crypto';
import { concatBytes } from './bytes.js';
import type { CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Command, type Ctap2 } from './ctap2.js';
import { malformed } from './errors.js';
import type { AuthenticatorInfo } from './get-info.js';
import {
  LARGE_BLOB_HASH_LENGTH,
  LargeBlobError,
  parseSerializedLargeBlobArray,
  serializeLargeBlobArray,
  type LargeBlobArray,
} from './large-blob-entries.js';

export * from './large-blob-entries.js';

/** Request member keys (§6.10). */
export const LargeBlobsParam = { get: 0x01, set: 0x02, offset: 0x03, length: 0x04, pinUvAuthParam: 0x05, pinUvAuthProtocol: 0x06 } as const;

/** Reply member keys (§6.10): `config` holds the fragment read. */
export const LargeBlobsReply = { config: 0x01 } as const;

/** maxMsgSize when getInfo leaves it out (§6.4). */
export const DEFAULT_MAX_MSG_SIZE = 1024;
/** The smallest maxSerializedLargeBlobArray a key with large blobs may announce (§6.4). */
export const MIN_MAX_SERIALIZED_LARGE_BLOB_ARRAY = 1024;

export function supportsLargeBlobs(info: AuthenticatorInfo): boolean {
  return info.options.largeBlobs === true;
}

/** §6.10: fragments are at most maxMsgSize − 64 bytes, leaving room for the request around them. */
export function maxFragmentLength(info: AuthenticatorInfo): number {
  return (info.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE) - 64;
}

/** The key's limit on the serialized array; a key that omits it promised at least the minimum. */
export function maxSerializedLargeBlobArray(info: AuthenticatorInfo): number {
  return info.maxSerializedLargeBlobArray ?? MIN_MAX_SERIALIZED_LARGE_BLOB_ARRAY;
}

export function buildReadRequest(offset: number, count: number): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [LargeBlobsParam.get, count],
    [LargeBlobsParam.offset, offset],
  ]);
}

/** The bytes a write's pinUvAuthParam authenticates: 32×0xff || 0x0c 0x00 || uint32LE(offset) || SHA-256(fragment) (§6.10.3). */
export function largeBlobWriteMessage(offset: number, fragment: Uint8Array): Uint8Array {
  const head = new Uint8Array(38);
  head.fill(0xff, 0, 32);
  head[32] = Command.largeBlobs;
  head[33] = 0x00;
  new DataView(head.buffer).setUint32(34, offset, true);
  return concatBytes(head, new Uint8Array(createHash('sha256').update(fragment).digest()));
}

/** One write fragment; `total` goes with the first one only (offset 0), as §6.10.3 requires. */
export function buildWriteRequest(fragment: Uint8Array, offset: number, total: number, token?: PinUvAuthToken): Map<number, CborValue> {
  const request = new Map<number, CborValue>([
    [LargeBlobsParam.set, fragment],
    [LargeBlobsParam.offset, offset],
  ]);
  if (offset === 0) request.set(LargeBlobsParam.length, total);
  if (token !== undefined) {
    request.set(LargeBlobsParam.pinUvAuthParam, token.authenticate(largeBlobWriteMessage(offset, fragment)));
    request.set(LargeBlobsParam.pinUvAuthProtocol, token.protocol.version);
  }
  return request;
}

/** Offsets and lengths of the fragments that carry `total` bytes. */
export function planFragments(total: number, fragmentLength: number): { offset: number; length: number }[] {
  if (!Number.isInteger(fragmentLength) || fragmentLength <= 0) throw new RangeError('fragment length must be positive');
  const out: { offset: number; length: number }[] = [];
  for (let offset = 0; offset < total; offset += fragmentLength) out.push({ offset, length: Math.min(fragmentLength, total - offset) });
  return out;
}

/** The refusal for an array that does not fit, worded with the numbers that matter. */
export function tooLargeError(size: number, limit: number): LargeBlobError {
  return new LargeBlobError('too-large', `The large-blob array would take ${size} bytes, but this key stores at most ${limit}; nothing was sent. Make the data smaller or remove other entries (\`large-blobs clean\`).`);
}

/** Large blobs on one key. Throws LargeBlobError `unsupported` for a key without them. */
export class LargeBlobs {
  readonly maxFragmentLength: number;
  readonly maxSerializedLength: number;

  constructor(
    private readonly ctap: Ctap2,
    info: AuthenticatorInfo,
  ) {
    if (!supportsLargeBlobs(info)) {
      throw new LargeBlobError('unsupported', `This key has no large-blob storage (no largeBlobs option in getInfo; versions: ${info.versions.join(', ')}).`);
    }
    this.maxFragmentLength = maxFragmentLength(info);
    if (this.maxFragmentLength <= 0) throw malformed(`maxMsgSize ${info.maxMsgSize} leaves no room for a large-blob fragment`);
    this.maxSerializedLength = maxSerializedLargeBlobArray(info);
  }

  /**
   * The serialized array as stored, read maxFragmentLength bytes at a time
   * until a fragment comes back short (§6.10.2). A key that keeps sending
   * beyond its own limit is reported, not followed forever.
   */
  async readSerialized(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let offset = 0;
    const bound = Math.max(this.maxSerializedLength, MIN_MAX_SERIALIZED_LARGE_BLOB_ARRAY);
    for (;;) {
      const reply = await this.ctap.send(Command.largeBlobs, buildReadRequest(offset, this.maxFragmentLength));
      const fragment = reply?.get(LargeBlobsReply.config);
      if (!(fragment instanceof Uint8Array)) throw malformed('authenticatorLargeBlobs reply has no config byte string');
      if (fragment.length > this.maxFragmentLength) throw malformed(`a large-blob fragment of ${fragment.length} bytes, more than the ${this.maxFragmentLength} asked for`);
      parts.push(fragment);
      offset += fragment.length;
      if (offset > bound) throw malformed(`the large-blob array runs past the key's own limit of ${bound} bytes`);
      if (fragment.length < this.maxFragmentLength) return concatBytes(...parts);
    }
  }

  /** The array, checked and decoded; a damaged one reads as empty with `damage` set. */
  async read(): Promise<LargeBlobArray> {
    return parseSerializedLargeBlobArray(await this.readSerialized());
  }

  /**
   * Replaces the stored array with `serialized` (which must already end with
   * its hash). `token` (permission `lbw`) is needed on a key protected by a
   * PIN or built-in UV. Refused before anything is sent when it cannot fit.
   */
  async writeSerialized(serialized: Uint8Array, token?: PinUvAuthToken): Promise<void> {
    if (serialized.length < 1 + LARGE_BLOB_HASH_LENGTH) throw new RangeError('a serialized large-blob array has at least 17 bytes');
    if (serialized.length > this.maxSerializedLength) throw tooLargeError(serialized.length, this.maxSerializedLength);
    for (const { offset, length } of planFragments(serialized.length, this.maxFragmentLength)) {
      const fragment = serialized.subarray(offset, offset + length);
      await this.ctap.send(Command.largeBlobs, buildWriteRequest(fragment, offset, serialized.length, token));
    }
  }

  /** Serializes `items` (entries as maps, other elements as they were read) and writes them. */
  async write(items: readonly CborValue[], token?: PinUvAuthToken): Promise<Uint8Array> {
    const serialized = serializeLargeBlobArray(items);
    await this.writeSerialized(serialized, token);
    return serialized;
  }
}
