/**
 * authenticatorLargeBlobs (0x0C), CTAP 2.1 §6.10: one opaque serialized
 * large-blob array, read in fragments by anyone and written in fragments
 * with an lbw token. The key checks only the array's trailing truncated
 * SHA-256; what the entries hold (encrypted per credential) is the
 * platform's business.
 */
import { createHash } from 'node:crypto';
import type { CborMap, Encodable } from './cbor.js';
import { Permission, type KeyContext } from './context.js';
import { MAX_MSG_SIZE } from './get-info.js';
import { optBytes, optUint } from './params.js';
import { isProtected, requirePermission, verifyRequestParam } from './pin-uv-auth.js';
import { LARGE_BLOB_CHECKSUM_LENGTH, largeBlobChecksum } from './state.js';
import { Status, fail } from './status.js';

const P = { get: 0x01, set: 0x02, offset: 0x03, length: 0x04, pinUvAuthParam: 0x05, protocol: 0x06 };
const R = { config: 0x01 };

/** The default getInfo maxSerializedLargeBlobArray; §6.4 requires at least 1024. */
export const DEFAULT_LARGE_BLOB_MAX = 4096;
export const MIN_LARGE_BLOB_MAX = 1024;
/** Keeps a --state file of reasonable size. */
export const MAX_LARGE_BLOB_MAX = 1024 * 1024;

/** §6.10: fragments leave room for the CBOR around them within maxMsgSize. */
const MAX_FRAGMENT_LENGTH = MAX_MSG_SIZE - 64;


export function largeBlobs(ctx: KeyContext, params: CborMap): Encodable | undefined {
  const get = optUint(params, P.get);
  const set = optBytes(params, P.set);
  const offset = optUint(params, P.offset);
  const length = optUint(params, P.length);
  const param = optBytes(params, P.pinUvAuthParam);
  const protocol = optUint(params, P.protocol);
  // §6.10.2 steps 1-3: offset is required, and exactly one of get and set.
  if (offset === undefined) fail(Status.INVALID_PARAMETER);
  if ((get === undefined) === (set === undefined)) fail(Status.INVALID_PARAMETER);
  if (get !== undefined) {
    // Reads need no token; a read carrying write-only parameters is malformed.
    if (length !== undefined || param !== undefined || protocol !== undefined) fail(Status.INVALID_PARAMETER);
    return read(ctx, offset, get);
  }
  write(ctx, { fragment: set!, offset, length, param, protocol });
  return undefined;
}

function read(ctx: KeyContext, offset: number, count: number): Encodable {
  if (count > MAX_FRAGMENT_LENGTH) fail(Status.INVALID_LENGTH);
  const array = ctx.state.largeBlobArray;
  if (offset > array.length) fail(Status.INVALID_PARAMETER);
  return new Map<number, Encodable>([[R.config, array.slice(offset, offset + count)]]);
}

interface WriteRequest {
  readonly fragment: Uint8Array;
  readonly offset: number;
  readonly length: number | undefined;
  readonly param: Uint8Array | undefined;
  readonly protocol: number | undefined;
}

/** §6.10.3 "set": the steps in the specification's order, so each error wins where it should. */
function write(ctx: KeyContext, w: WriteRequest): void {
  if (w.fragment.length > MAX_FRAGMENT_LENGTH) fail(Status.INVALID_LENGTH);
  let pending = ctx.volatile.largeBlobWrite;
  if (w.offset === 0) {
    if (w.length === undefined) fail(Status.INVALID_PARAMETER);
    if (w.length > ctx.largeBlobMax!) fail(Status.LARGE_BLOB_STORAGE_FULL);
    // Even an empty array needs its 1-byte CBOR header and 16-byte checksum.
    if (w.length < 1 + LARGE_BLOB_CHECKSUM_LENGTH) fail(Status.INVALID_PARAMETER);
    // A new write starts over: what an earlier unfinished write buffered is dropped.
    pending = { buffer: new Uint8Array(w.length), received: 0 };
    ctx.volatile.largeBlobWrite = undefined;
  } else if (w.length !== undefined) {
    fail(Status.INVALID_PARAMETER);
  }
  // expectedNextOffset is 0 when no write is under way, so a continuation without a start is out of sequence.
  if (pending === undefined || w.offset !== pending.received) fail(Status.INVALID_SEQ);
  if (isProtected(ctx) || ctx.state.alwaysUv) authorise(ctx, w);
  if (w.offset + w.fragment.length > pending.buffer.length) fail(Status.INVALID_PARAMETER);

  pending.buffer.set(w.fragment, pending.received);
  pending.received += w.fragment.length;
  ctx.volatile.largeBlobWrite = pending;
  if (pending.received < pending.buffer.length) return;

  ctx.volatile.largeBlobWrite = undefined;
  const array = pending.buffer;
  if (!checksumMatches(array)) fail(Status.INTEGRITY_FAILURE);
  ctx.state.largeBlobArray = array;
  ctx.persist();
}

/**
 * §6.10.3: pinUvAuthParam = authenticate(token, 32×0xff || 0x0c 0x00 ||
 * uint32LittleEndian(offset) || SHA-256(fragment)), from a token with lbw.
 */
function authorise(ctx: KeyContext, w: WriteRequest): void {
  const token = verifyRequestParam(ctx, w.param, w.protocol, largeBlobAuthMessage(w.offset, w.fragment));
  requirePermission(token, Permission.lbw);
}

function largeBlobAuthMessage(offset: number, fragment: Uint8Array): Uint8Array {
  const message = new Uint8Array(32 + 2 + 4 + 32);
  message.fill(0xff, 0, 32);
  message[32] = 0x0c;
  message[33] = 0x00;
  new DataView(message.buffer).setUint32(34, offset, true);
  message.set(createHash('sha256').update(fragment).digest(), 38);
  return message;
}

/** The last 16 bytes must be LEFT(SHA-256(everything before them), 16). */
function checksumMatches(array: Uint8Array): boolean {
  const body = array.subarray(0, array.length - LARGE_BLOB_CHECKSUM_LENGTH);
  return Buffer.from(array.subarray(array.length - LARGE_BLOB_CHECKSUM_LENGTH)).equals(largeBlobChecksum(body));
}
