/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8 "Message Encoding"): definite lengths,
 * shortest integer and length forms, map keys sorted by major type, then by
 * encoded length, then bytewise, no floats and no tags. A small own encoder is
 * used because a general-purpose one decides map order and typed-array tagging
 * itself; the canonical form is what keys verify pinUvAuthParams against.
 */
import { malformed } from './errors.js';
import { concatBytes } from './bytes.js';

/** A tagged item; never produced by keys in CTAP2, kept so odd vendor data decodes. */
export class CborTag {
  constructor(
    readonly tag: number | bigint,
    readonly value: CborValue,
  ) {}
}

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborTag
  | readonly CborValue[]
  | ReadonlyMap<CborValue, CborValue>
  | { readonly [key: string]: CborValue };

export type CborMap = Map<CborValue, CborValue>;

// ---------------------------------------------------------------- encoding

function head(major: number, n: number | bigint): Uint8Array {
  const m = major << 5;
  const v = typeof n === 'bigint' ? n : BigInt(n);
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError('CBOR: length or integer out of range');
  if (v < 24n) return Uint8Array.of(m | Number(v));
  if (v <= 0xffn) return Uint8Array.of(m | 24, Number(v));
  if (v <= 0xffffn) return Uint8Array.of(m | 25, Number(v >> 8n), Number(v & 0xffn));
  if (v <= 0xffffffffn) {
    const out = new Uint8Array(5);
    out[0] = m | 26;
    new DataView(out.buffer).setUint32(1, Number(v));
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = m | 27;
  new DataView(out.buffer).setBigUint64(1, v);
  return out;
}

/** CTAP 2.1 §8 key order: major type first, then shorter encoding, then bytewise. */
function compareEncodedKeys(a: Uint8Array, b: Uint8Array): number {
  const ma = (a[0] ?? 0) >> 5;
  const mb = (b[0] ?? 0) >> 5;
  if (ma !== mb) return ma - mb;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function encodeInto(value: CborValue, out: Uint8Array[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`CBOR: only integers can be encoded, got ${value}`);
    out.push(value >= 0 ? head(0, value) : head(1, -1 - value));
  } else if (typeof value === 'bigint') {
    out.push(value >= 0n ? head(0, value) : head(1, -1n - value));
  } else if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    out.push(head(3, bytes.length), bytes);
  } else if (typeof value === 'boolean') {
    out.push(Uint8Array.of(value ? 0xf5 : 0xf4));
  } else if (value === null) {
    out.push(Uint8Array.of(0xf6));
  } else if (value === undefined) {
    throw new TypeError('CBOR: undefined cannot be encoded');
  } else if (value instanceof Uint8Array) {
    // Always major type 2, whatever Uint8Array subclass (Buffer) it is.
    out.push(head(2, value.length), Uint8Array.from(value));
  } else if (value instanceof CborTag) {
    out.push(head(6, value.tag));
    encodeInto(value.value, out);
  } else if (Array.isArray(value)) {
    const items = value as readonly CborValue[];
    out.push(head(4, items.length));
    for (const item of items) encodeInto(item, out);
  } else if (value instanceof Map) {
    encodeMap([...(value as ReadonlyMap<CborValue, CborValue>).entries()], out);
  } else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    encodeMap(Object.entries(value as { readonly [key: string]: CborValue }), out);
  } else {
    throw new TypeError('CBOR: unsupported value type');
  }
}

function encodeMap(entries: [CborValue, CborValue][], out: Uint8Array[]): void {
  // Entries whose value is undefined are left out, so optional parameters can be written inline.
  const encoded = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ({ key: encodeCbor(k), value: encodeCbor(v) }));
  encoded.sort((a, b) => compareEncodedKeys(a.key, b.key));
  for (let i = 1; i < encoded.length; i++) {
    if (compareEncodedKeys(encoded[i - 1]!.key, encoded[i]!.key) === 0) {
      throw new TypeError('CBOR: duplicate map key');
    }
  }
  out.push(head(5, encoded.length));
  for (const e of encoded) out.push(e.key, e.value);
}

/** Encode a value in CTAP2 canonical CBOR. Throws TypeError for values CTAP cannot carry (floats, undefined). */
export function encodeCbor(value: CborValue): Uint8Array {
  const parts: Uint8Array[] = [];
  encodeInto(value, parts);
  return concatBytes(...parts);
}

// ---------------------------------------------------------------- decoding

/** CTAP structures nest a few levels; a bound keeps hostile input from exhausting the stack. */
const MAX_DEPTH = 64;

class Reader {
  offset = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): void {
    if (n > this.bytes.length - this.offset) {
      throw malformed(`CBOR ends early at byte ${this.offset}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  argument(info: number): number | bigint {
    if (info < 24) return info;
    switch (info) {
      case 24:
        return this.u8();
      case 25: {
        this.need(2);
        const v = this.view.getUint16(this.offset);
        this.offset += 2;
        return v;
      }
      case 26: {
        this.need(4);
        const v = this.view.getUint32(this.offset);
        this.offset += 4;
        return v;
      }
      case 27: {
        this.need(8);
        const v = this.view.getBigUint64(this.offset);
        this.offset += 8;
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 31:
        throw malformed(`indefinite-length CBOR item at byte ${this.offset - 1}`);
      default:
        throw malformed(`reserved CBOR additional information ${info} at byte ${this.offset - 1}`);
    }
  }

  length(info: number): number {
    const n = this.argument(info);
    if (typeof n === 'bigint' || n > this.bytes.length - this.offset) {
      throw malformed(`CBOR length runs past the end at byte ${this.offset}`);
    }
    return n;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function mapKeyId(key: CborValue): string {
  // Keys are compared by kind and value; CTAP keys are integers or text.
  if (typeof key === 'number' || typeof key === 'bigint') return `i:${key}`;
  if (typeof key === 'string') return `s:${key}`;
  if (key instanceof Uint8Array) return `b:${Buffer.from(key).toString('hex')}`;
  return `o:${typeof key}:${String(key)}`;
}

function decodeItem(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw malformed('CBOR nested too deeply');
  const start = r.offset;
  const initial = r.u8();
  const major = initial >> 5;
  const info = initial & 0x1f;
  switch (major) {
    case 0:
      return r.argument(info);
    case 1: {
      const n = r.argument(info);
      if (typeof n === 'bigint') return -1n - n;
      const v = -1 - n;
      return Number.isSafeInteger(v) ? v : -1n - BigInt(n);
    }
    case 2:
      return r.take(r.length(info));
    case 3: {
      const bytes = r.take(r.length(info));
      try {
        return utf8Decoder.decode(bytes);
      } catch {
        throw malformed(`CBOR text string at byte ${start} is not valid UTF-8`);
      }
    }
    case 4: {
      const n = r.length(info); // each item is at least one byte, so the bound holds
      const items: CborValue[] = [];
      for (let i = 0; i < n; i++) items.push(decodeItem(r, depth + 1));
      return items;
    }
    case 5: {
      const n = r.length(info);
      const map: CborMap = new Map();
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const key = decodeItem(r, depth + 1);
        const id = mapKeyId(key);
        if (seen.has(id)) throw malformed(`CBOR map at byte ${start} repeats a key`);
        seen.add(id);
        map.set(key, decodeItem(r, depth + 1));
      }
      return map;
    }
    case 6: {
      const tag = r.argument(info);
      return new CborTag(tag, decodeItem(r, depth + 1));
    }
    default: {
      // major 7: simple values and floats
      switch (info) {
        case 20:
          return false;
        case 21:
          return true;
        case 22:
          return null;
        case 23:
          return undefined;
        case 25: {
          r.need(2);
          const bits = (r.bytes[r.offset]! << 8) | r.bytes[r.offset + 1]!;
          r.offset += 2;
          return decodeHalf(bits);
        }
        case 26: {
          const b = r.take(4);
          return new DataView(b.buffer).getFloat32(0);
        }
        case 27: {
          const b = r.take(8);
          return new DataView(b.buffer).getFloat64(0);
        }
        default:
          throw malformed(`unsupported CBOR simple value at byte ${start}`);
      }
    }
  }
}

/**
 * Decode exactly one CBOR item filling all of `bytes`. Maps become `Map` with
 * their keys as sent (integers stay numbers), byte strings `Uint8Array`,
 * integers beyond 2^53 `bigint`. Anything else is a malformed reply.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  if (bytes.length === 0) throw malformed('empty CBOR');
  const r = new Reader(bytes);
  const value = decodeItem(r, 0);
  if (r.offset !== bytes.length) {
    throw malformed(`${bytes.length - r.offset} trailing bytes after CBOR`);
  }
  return value;
}

/** Decode bytes that must hold a CBOR map (every CTAP2 reply body). */
export function decodeCborMap(bytes: Uint8Array): CborMap {
  const value = decodeCbor(bytes);
  if (!(value instanceof Map)) throw malformed('expected a CBOR map');
  return value as CborMap;
}
