/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8), written for the virtual key so that it
 * shares no decoder with the client it is meant to check.
 *
 * The decoder is strict: indefinite lengths, non-shortest heads, tags,
 * unsorted or duplicate map keys, invalid UTF-8 and trailing bytes are all
 * CTAP2_ERR_INVALID_CBOR. A real key may accept some of these, but a client
 * that sends them would fail on the strict ones, so the simulator says no.
 */
import { Status, fail } from './status.js';

/** A CBOR float; kept apart from integers so that 1.0 never passes as 1. */
export class CborFloat {
  constructor(readonly value: number) {}
}

export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | undefined
  | CborFloat
  | CborValue[]
  | CborMap;
export type CborMap = Map<CborValue, CborValue>;

/** Nesting beyond this is refused; CTAP messages need four levels at most. */
const MAX_DEPTH = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.pos) fail(Status.INVALID_CBOR);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a head's argument, refusing indefinite and non-shortest forms. */
  argument(info: number): number | bigint {
    if (info < 24) return info;
    if (info === 24) {
      const v = this.take(1)[0]!;
      if (v < 24) fail(Status.INVALID_CBOR);
      return v;
    }
    if (info === 25) {
      const b = this.take(2);
      const v = (b[0]! << 8) | b[1]!;
      if (v <= 0xff) fail(Status.INVALID_CBOR);
      return v;
    }
    if (info === 26) {
      const b = this.take(4);
      const v = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
      if (v <= 0xffff) fail(Status.INVALID_CBOR);
      return v;
    }
    if (info === 27) {
      const b = this.take(8);
      let v = 0n;
      for (const x of b) v = (v << 8n) | BigInt(x);
      if (v <= 0xffffffffn) fail(Status.INVALID_CBOR);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    return fail(Status.INVALID_CBOR); // 28-30 reserved, 31 indefinite
  }

  length(info: number): number {
    const n = this.argument(info);
    if (typeof n !== 'number' || n > this.bytes.length) fail(Status.INVALID_CBOR);
    return n;
  }

  item(depth: number): CborValue {
    if (depth > MAX_DEPTH) fail(Status.INVALID_CBOR);
    const head = this.take(1)[0]!;
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1: {
        const n = this.argument(info);
        return typeof n === 'number' && n < Number.MAX_SAFE_INTEGER ? -1 - n : -1n - BigInt(n);
      }
      case 2:
        return this.take(this.length(info)).slice();
      case 3:
        try {
          return utf8.decode(this.take(this.length(info)));
        } catch {
          return fail(Status.INVALID_CBOR);
        }
      case 4: {
        const n = this.length(info);
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5:
        return this.map(info, depth).map;
      case 7:
        return this.simple(info);
      default:
        return fail(Status.INVALID_CBOR); // tags have no place in CTAP messages
    }
  }

  /** Decodes a map, and the raw bytes of every value (authenticatorConfig needs them). */
  map(info: number, depth: number): { map: CborMap; raw: Map<CborValue, Uint8Array> } {
    const n = this.length(info);
    const map: CborMap = new Map();
    const raw = new Map<CborValue, Uint8Array>();
    let previousKey: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const keyStart = this.pos;
      const key = this.item(depth + 1);
      const keyBytes = this.bytes.subarray(keyStart, this.pos);
      // Canonical order also rules out duplicates: each key must sort strictly after the last.
      if (previousKey && compareEncodedKeys(previousKey, keyBytes) >= 0) fail(Status.INVALID_CBOR);
      previousKey = keyBytes;
      const valueStart = this.pos;
      const value = this.item(depth + 1);
      map.set(key, value);
      raw.set(key, this.bytes.subarray(valueStart, this.pos));
    }
    return { map, raw };
  }

  simple(info: number): CborValue {
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
        const b = this.take(2);
        return new CborFloat(halfToNumber((b[0]! << 8) | b[1]!));
      }
      case 26:
        return new CborFloat(new DataView(this.take(4).slice().buffer).getFloat32(0));
      case 27:
        return new CborFloat(new DataView(this.take(8).slice().buffer).getFloat64(0));
      default:
        return fail(Status.INVALID_CBOR);
    }
  }
}

function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (mant + 1024) * 2 ** (exp - 25);
}

/**
 * CTAP2 canonical key order (§8): lower major type first, then shorter
 * encoding, then byte-wise lexical order.
 */
export function compareEncodedKeys(a: Uint8Array, b: Uint8Array): number {
  const ma = a[0]! >> 5;
  const mb = b[0]! >> 5;
  if (ma !== mb) return ma - mb;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Decodes exactly one CBOR item filling `bytes`; any fault is CTAP2_ERR_INVALID_CBOR. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const r = new Reader(bytes);
  const value = r.item(0);
  if (r.pos !== bytes.length) fail(Status.INVALID_CBOR);
  return value;
}

export interface DecodedRequest {
  readonly map: CborMap;
  /** The bytes each value had on the wire, keyed like `map`. */
  readonly raw: Map<CborValue, Uint8Array>;
}

/**
 * Decodes a CTAP command's parameter map. An empty body is an empty map
 * (commands then report their missing parameters); a well-formed item that
 * is not a map is CTAP2_ERR_CBOR_UNEXPECTED_TYPE.
 */
export function decodeRequest(body: Uint8Array): DecodedRequest {
  if (body.length === 0) return { map: new Map(), raw: new Map() };
  const r = new Reader(body);
  const head = body[0]!;
  if (head >> 5 !== 5) {
    r.item(0);
    if (r.pos !== body.length) fail(Status.INVALID_CBOR);
    return fail(Status.CBOR_UNEXPECTED_TYPE);
  }
  r.pos = 1;
  const decoded = r.map(head & 0x1f, 0);
  if (r.pos !== body.length) fail(Status.INVALID_CBOR);
  return decoded;
}

// ---------------------------------------------------------------- encoder

/** Values the encoder accepts: plain objects stand for maps with text keys. */
export type Encodable =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | readonly Encodable[]
  | ReadonlyMap<number | string, Encodable>
  | { readonly [key: string]: Encodable | undefined };

function head(major: number, n: number | bigint): Uint8Array {
  const m = major << 5;
  const v = BigInt(n);
  if (v < 24n) return Uint8Array.of(m | Number(v));
  if (v <= 0xffn) return Uint8Array.of(m | 24, Number(v));
  if (v <= 0xffffn) return Uint8Array.of(m | 25, Number(v >> 8n), Number(v & 0xffn));
  const size = v <= 0xffffffffn ? 4 : 8;
  const out = new Uint8Array(1 + size);
  out[0] = m | (size === 4 ? 26 : 27);
  for (let i = 0; i < size; i++) out[size - i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function encodeInto(value: Encodable, parts: Uint8Array[]): void {
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new TypeError(`cannot encode ${value}: only integers`);
    }
    const v = BigInt(value);
    parts.push(v >= 0n ? head(0, v) : head(1, -1n - v));
  } else if (typeof value === 'string') {
    const b = utf8Encoder.encode(value);
    parts.push(head(3, b.length), b);
  } else if (value instanceof Uint8Array) {
    parts.push(head(2, value.length), value);
  } else if (typeof value === 'boolean') {
    parts.push(Uint8Array.of(value ? 0xf5 : 0xf4));
  } else if (value === null) {
    parts.push(Uint8Array.of(0xf6));
  } else if (Array.isArray(value)) {
    parts.push(head(4, value.length));
    for (const v of value as readonly Encodable[]) encodeInto(v, parts);
  } else {
    const entries: [Encodable, Encodable][] =
      value instanceof Map
        ? [...(value as ReadonlyMap<number | string, Encodable>)]
        : Object.entries(value).filter((e): e is [string, Encodable] => e[1] !== undefined);
    const encoded = entries.map(([k, v]) => [encodeCbor(k), encodeCbor(v)] as const);
    encoded.sort((a, b) => compareEncodedKeys(a[0], b[0]));
    parts.push(head(5, encoded.length));
    for (const [k, v] of encoded) parts.push(k, v);
  }
}

/** Encodes in CTAP2 canonical form: shortest heads, map keys sorted per §8. */
export function encodeCbor(value: Encodable): Uint8Array {
  const parts: Uint8Array[] = [];
  encodeInto(value, parts);
  return concat(parts);
}
