/** A platform's side of authenticatorLargeBlobs (CTAP 2.1 §6.10) for the virtual key's tests, written from the spec. */
import { createHash } from 'node:crypto';
import { encodeCbor, type Encodable } from '../../src/sim/cbor.js';
import { authenticate, type PinUvAuthProtocol } from '../../src/sim/pin-protocol.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { Platform } from './platform.js';

export const LB = 0x0c;
export const PIN = '1234';
/** maxMsgSize 1200 − 64 (§6.10). */
export const MAX_FRAGMENT = 1136;
export const LB_ST = { INVALID_SEQ: 0x04, LARGE_BLOB_STORAGE_FULL: 0x18, INTEGRITY_FAILURE: 0x3d };
/** The spec's initial array: 0x80 || LEFT(SHA-256(0x80), 16). */
export const EMPTY = Buffer.from('8076be8b528d0075f7aae98d6fa57a6d3c', 'hex');

export const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** A well-formed serialized array of `size` bytes: a CBOR array with one byte string, then its checksum. */
export function serialized(size: number): Uint8Array {
  // 1 byte of array header, then the byte string's header of 1 to 3 bytes and its content.
  const body = [1, 2, 3].map((h) => encodeCbor([new Uint8Array(size - 16 - 1 - h).fill(0xab)])).find((b) => b.length === size - 16);
  if (!body) throw new Error(`no one-entry array of ${size} bytes`);
  return new Uint8Array([...body, ...sha(body).subarray(0, 16)]);
}

export function authMessage(offset: number, fragment: Uint8Array): Uint8Array {
  const offsetLe = new Uint8Array(4);
  new DataView(offsetLe.buffer).setUint32(0, offset, true);
  return new Uint8Array([...new Uint8Array(32).fill(0xff), 0x0c, 0x00, ...offsetLe, ...sha(fragment)]);
}

export interface SetOptions {
  length?: number;
  token?: Uint8Array;
  protocol?: PinUvAuthProtocol;
  param?: Uint8Array;
}

export function setParams(offset: number, fragment: Uint8Array, o: SetOptions = {}): Map<number, Encodable> {
  const m = new Map<number, Encodable>([
    [2, fragment],
    [3, offset],
  ]);
  if (o.length !== undefined) m.set(4, o.length);
  if (o.token) m.set(5, authenticate(o.protocol ?? 2, o.token, authMessage(offset, fragment)));
  if (o.param) m.set(5, o.param);
  if (o.token || o.protocol !== undefined) m.set(6, o.protocol ?? 2);
  return m;
}

export async function open(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  return { key, host, p: new Platform(host) };
}

export async function read(host: CtapHost, offset: number, count: number): Promise<Uint8Array> {
  const r = await host.ok(LB, new Map([[1, count], [3, offset]]));
  return r.get(1) as Uint8Array;
}

/** The whole array, read in maximal fragments as a platform would. */
export async function readAll(host: CtapHost): Promise<Uint8Array> {
  const parts: number[] = [];
  for (;;) {
    const chunk = await read(host, parts.length, MAX_FRAGMENT);
    parts.push(...chunk);
    if (chunk.length < MAX_FRAGMENT) return new Uint8Array(parts);
  }
}

/** Writes `array` in fragments of `size`; returns the status of each request. */
export async function writeAll(host: CtapHost, array: Uint8Array, size = MAX_FRAGMENT, token?: Uint8Array): Promise<number[]> {
  const statuses: number[] = [];
  for (let off = 0; off < array.length; off += size) {
    const fragment = array.subarray(off, off + size);
    statuses.push(await host.status(LB, setParams(off, fragment, { ...(off === 0 ? { length: array.length } : {}), ...(token ? { token } : {}) })));
  }
  return statuses;
}
