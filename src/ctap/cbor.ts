/**
 * The client's CBOR adapter over cbor-x, configured for CTAP2 canonical form
 * (CTAP 2.1 §8 "Message Encoding"): definite lengths, shortest integer and
 * length forms, map keys sorted by major type, then encoded length, then
 * bytewise; byte strings never tagged; maps decode as `Map`.
 *
 * cbor-x keeps a Map's insertion order and writes integers beyond 32 bits as
 * floats or fixed 8-byte bigints, so values are normalised first (keys
 * sorted, integers typed by size) and cbor-x does the byte work. cbor-x is
 * loaded on first use only: `--version`, `--help` and `list` never need it.
 */
import { createRequire } from 'node:module';
import type { Decoder, Encoder, Tag } from 'cbor-x';
import { malformed } from './errors.js';

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

/** CTAP messages nest four levels at most; this leaves room for extensions. */
const MAX_DEPTH = 16;

interface Codec {
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly Tag: typeof Tag;
}
let codec: Codec | undefined;

function cbor(): Codec {
  if (!codec) {
    // Without cbor-extract's native helper start-up measured no slower (bench/startup-cbor.js, README
    // Performance): CTAP messages are at most 7609 bytes. An explicit setting from the user wins.
    process.env.CBOR_NATIVE_ACCELERATION_DISABLED ??= 'true';
    const x = createRequire(import.meta.url)('cbor-x') as typeof import('cbor-x');
    const common = { useRecords: false, structuredClone: false, pack: false, bundleStrings: false } as const;
    codec = {
      // useTag259ForMaps and int64AsType are cbor-x options its type declarations do not list.
      encoder: new x.Encoder({
        ...common,
        tagUint8Array: false,
        variableMapSize: true,
        useTag259ForMaps: false,
      } as ConstructorParameters<typeof x.Encoder>[0]),
      decoder: new x.Decoder({ ...common, mapsAsObjects: false, int64AsType: 'bigint' } as ConstructorParameters<typeof x.Decoder>[0]),
      Tag: x.Tag,
    };
  }
  return codec;
}

/** CTAP 2.1 §8 key order: major type first, then shorter encoding, then bytewise. */
function compareEncodedKeys(a: Uint8Array, b: Uint8Array): number {
  const ma = (a[0] ?? 0) >> 5;
  const mb = (b[0] ?? 0) >> 5;
  if (ma !== mb) return ma - mb;
  if (a.length !== b.length) return a.length - b.length;
  return Buffer.compare(a, b);
}

/**
 * cbor-x writes only 32-bit numbers as integers, and every bigint in 8 bytes;
 * below -2^63 it would write a tagged bignum, which CTAP never carries.
 */
const MIN_INT64 = -(2n ** 63n);
const MAX_UINT64_EXCLUSIVE = 2n ** 64n;
const INT32_SPAN = 2 ** 32;

function normaliseInteger(v: number | bigint): number | bigint {
  // Nearly every CTAP integer is small: no BigInt for those (this runs for every number of every request).
  if (typeof v === 'number' && v >= -INT32_SPAN && v < INT32_SPAN) return v;
  const n = BigInt(v);
  if (n < MIN_INT64 || n >= MAX_UINT64_EXCLUSIVE) throw new RangeError('CBOR: integer out of the 64-bit range');
  return n >= -BigInt(INT32_SPAN) && n < BigInt(INT32_SPAN) ? Number(n) : n;
}

/** Encoded map keys, kept for the few dozen keys CTAP uses over and over (small integers, member names). */
const keyBytesCache = new Map<number | string, Uint8Array>();

function encodedKey(key: unknown): Uint8Array {
  const cacheable = (typeof key === 'number' || (typeof key === 'string' && key.length <= 32)) && keyBytesCache.size < 1024;
  let bytes = cacheable ? keyBytesCache.get(key) : undefined;
  if (bytes === undefined) {
    // A copy: cbor-x may hand out a view of its reusable buffer.
    bytes = new Uint8Array(cbor().encoder.encode(key));
    if (cacheable) keyBytesCache.set(key, bytes);
  }
  return bytes;
}

/** Rewrites a value into what cbor-x encodes canonically. */
function canonical(value: CborValue, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new TypeError('CBOR: nested too deeply');
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`CBOR: only integers can be encoded, got ${value}`);
    return normaliseInteger(value);
  }
  if (typeof value === 'bigint') return normaliseInteger(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (value === undefined) throw new TypeError('CBOR: undefined cannot be encoded');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.length);
  if (value instanceof CborTag) return new (cbor().Tag)(canonical(value.value, depth + 1), Number(value.tag));
  if (Array.isArray(value)) return (value as readonly CborValue[]).map((v) => canonical(v, depth + 1));
  let entries: [CborValue, CborValue][];
  if (value instanceof Map) entries = [...(value as ReadonlyMap<CborValue, CborValue>).entries()];
  else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    entries = Object.entries(value as { readonly [key: string]: CborValue });
  } else throw new TypeError('CBOR: unsupported value type');
  // Entries whose value is undefined are left out, so optional parameters can be written inline.
  const sorted = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const key = canonical(k, depth + 1);
      return { key, bytes: encodedKey(key), value: canonical(v, depth + 1) };
    })
    .sort((a, b) => compareEncodedKeys(a.bytes, b.bytes));
  for (let i = 1; i < sorted.length; i++) {
    if (compareEncodedKeys(sorted[i - 1]!.bytes, sorted[i]!.bytes) === 0) throw new TypeError('CBOR: duplicate map key');
  }
  return new Map(sorted.map((e) => [e.key, e.value]));
}

/** Encode a value in CTAP2 canonical CBOR. Throws TypeError for values CTAP cannot carry (floats, undefined). */
export function encodeCbor(value: CborValue): Uint8Array {
  const out = cbor().encoder.encode(canonical(value, 0));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Brings cbor-x's decoded values to the `CborValue` shapes, refusing what CTAP never carries. */
function fromDecoded(v: unknown, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw malformed('CBOR nested too deeply');
  // A float is not CTAP, but a lenient reader lets the command decide (getInfo ignores unknown members).
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v === 'string' || typeof v === 'boolean' || v === null || v === undefined) return v;
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (Array.isArray(v)) return v.map((x) => fromDecoded(x, depth + 1));
  if (v instanceof Map) {
    const out: CborMap = new Map();
    for (const [k, x] of v) out.set(fromDecoded(k, depth + 1), fromDecoded(x, depth + 1));
    return out;
  }
  if (v instanceof cbor().Tag) {
    const t = v as Tag;
    return new CborTag(t.tag, fromDecoded(t.value, depth + 1));
  }
  throw malformed('unsupported CBOR item (a tag or simple value CTAP does not use)');
}

/**
 * Decode one CBOR item filling the whole buffer. Integers within 2^53 come
 * back as `number`, beyond as `bigint`. Anything else is a malformed reply.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  if (bytes.length === 0) throw malformed('empty CBOR');
  let decoded: unknown;
  try {
    decoded = cbor().decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw malformed(/end of buffer not reached/.test(why) ? 'trailing bytes after CBOR' : `invalid CBOR: ${why}`);
  }
  return fromDecoded(decoded, 0);
}

/** Decode a CBOR map (the shape of every CTAP2 response body). */
export function decodeCborMap(bytes: Uint8Array): CborMap {
  const value = decodeCbor(bytes);
  if (!(value instanceof Map)) throw malformed('expected a CBOR map');
  return value;
}
