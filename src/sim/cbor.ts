/**
 * The virtual key's CBOR adapter over cbor-x, for CTAP2 canonical form
 * (CTAP 2.1 §8). It shares no code with the client's adapter so that the two
 * sides cannot share a misreading.
 *
 * Strict on input: cbor-x decodes, then the value is re-encoded canonically
 * and must equal the input byte for byte. That refuses indefinite lengths,
 * non-shortest heads, unsorted or duplicate map keys, tags, invalid UTF-8
 * and trailing bytes with CTAP2_ERR_INVALID_CBOR. Explicit limits (message
 * size, nesting depth) come first so no input can exhaust the key.
 */
import { createRequire } from 'node:module';
import type { Decoder, Encoder } from 'cbor-x';
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
/** Larger than any CTAPHID message (128 packets, 7609 bytes), with room for direct callers. */
const MAX_INPUT = 64 * 1024;

let codec: { encoder: Encoder; decoder: Decoder } | undefined;
function cbor(): { encoder: Encoder; decoder: Decoder } {
  if (!codec) {
    // Without cbor-extract's native helper start-up measured no slower (bench/startup-cbor.js, README
    // Performance): CTAP messages are at most 7609 bytes. An explicit setting from the user wins.
    process.env.CBOR_NATIVE_ACCELERATION_DISABLED ??= 'true';
    const x = createRequire(import.meta.url)('cbor-x') as typeof import('cbor-x');
    const common = { useRecords: false, structuredClone: false, pack: false, bundleStrings: false } as const;
    // useTag259ForMaps and int64AsType are cbor-x options its type declarations do not list.
    codec = {
      encoder: new x.Encoder({
        ...common,
        tagUint8Array: false,
        variableMapSize: true,
        useTag259ForMaps: false,
      } as ConstructorParameters<typeof x.Encoder>[0]),
      decoder: new x.Decoder({ ...common, mapsAsObjects: false, int64AsType: 'bigint' } as ConstructorParameters<typeof x.Decoder>[0]),
    };
  }
  return codec;
}

/** CTAP 2.1 §8 key order: major type first, then shorter encoding, then bytewise. */
export function compareEncodedKeys(a: Uint8Array, b: Uint8Array): number {
  const ma = (a[0] ?? 0) >> 5;
  const mb = (b[0] ?? 0) >> 5;
  if (ma !== mb) return ma - mb;
  if (a.length !== b.length) return a.length - b.length;
  return Buffer.compare(a, b);
}

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

/** cbor-x writes numbers beyond 32 bits as floats and every bigint in 8 bytes; it gets each in its shortest form. */
function integer(v: number | bigint): number | bigint {
  const n = BigInt(v);
  if (n < -(2n ** 63n) || n >= 2n ** 64n) throw new RangeError(`cannot encode ${v}: beyond 64 bits`);
  return n >= -(2n ** 32n) && n < 2n ** 32n ? Number(n) : n;
}

/** Rewrites a value into what cbor-x encodes canonically (§8): integers typed by size, map keys sorted. */
function canonical(value: Encodable | CborValue, depth: number): unknown {
  if (depth > MAX_DEPTH) fail(Status.INVALID_CBOR);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`cannot encode ${value}: only integers`);
    return integer(value);
  }
  if (typeof value === 'bigint') return integer(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (value === undefined) throw new TypeError('cannot encode undefined');
  if (value instanceof CborFloat) return value.value; // cbor-x writes a non-integer as float64
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  if (Array.isArray(value)) return (value as readonly Encodable[]).map((v) => canonical(v, depth + 1));
  const entries: [Encodable | CborValue, Encodable | CborValue][] =
    value instanceof Map
      ? [...(value as ReadonlyMap<Encodable, Encodable>)]
      : Object.entries(value as object).filter((e): e is [string, Encodable] => e[1] !== undefined);
  const sorted = entries
    .map(([k, v]) => {
      const key = canonical(k, depth + 1);
      return { key, bytes: cbor().encoder.encode(key), value: canonical(v, depth + 1) };
    })
    .sort((a, b) => compareEncodedKeys(a.bytes, b.bytes));
  return new Map(sorted.map((e) => [e.key, e.value]));
}

/** Encodes in CTAP2 canonical form: shortest heads, map keys sorted per §8. */
export function encodeCbor(value: Encodable): Uint8Array {
  const out = cbor().encoder.encode(canonical(value, 0));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** cbor-x's values as `CborValue`; anything CTAP cannot carry (tags, typed objects) is refused. */
function fromDecoded(v: unknown, depth: number): CborValue {
  if (depth > MAX_DEPTH) return fail(Status.INVALID_CBOR);
  if (typeof v === 'number') return Number.isInteger(v) ? v : new CborFloat(v);
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v === 'string' || typeof v === 'boolean' || v === null || v === undefined) return v;
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (Array.isArray(v)) return v.map((x) => fromDecoded(x, depth + 1));
  if (v instanceof Map) {
    const out: CborMap = new Map();
    for (const [k, x] of v) out.set(fromDecoded(k, depth + 1), fromDecoded(x, depth + 1));
    return out;
  }
  return fail(Status.INVALID_CBOR); // tags have no place in CTAP messages
}

/**
 * One CBOR item filling `bytes`, in canonical form, or CTAP2_ERR_INVALID_CBOR.
 * Deep nesting within MAX_INPUT can at worst overflow cbor-x's recursion,
 * which is caught like any other decoding error.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  if (bytes.length === 0 || bytes.length > MAX_INPUT) return fail(Status.INVALID_CBOR);
  let decoded: unknown;
  try {
    decoded = cbor().decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch {
    return fail(Status.INVALID_CBOR);
  }
  const value = fromDecoded(decoded, 0);
  let again: Uint8Array;
  try {
    again = encodeCbor(value as Encodable);
  } catch {
    return fail(Status.INVALID_CBOR);
  }
  if (Buffer.compare(again, bytes) !== 0) fail(Status.INVALID_CBOR);
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
  const value = decodeCbor(body);
  if (!(value instanceof Map)) return fail(Status.CBOR_UNEXPECTED_TYPE);
  // The input is canonical, so each value's re-encoding is exactly its wire bytes.
  const raw = new Map<CborValue, Uint8Array>();
  for (const [k, v] of value) raw.set(k, encodeCbor(v as Encodable));
  return { map: value, raw };
}
