/**
 * The large-blob array and its entries (CTAP 2.1 §6.10.1, §6.10.4), pure.
 *
 * The key stores one opaque byte string, the serialized large-blob array: a
 * CBOR array followed by LEFT(SHA-256(array), 16). Each element the platform
 * understands is a map {1: ciphertext, 2: nonce, 3: origSize}: the data,
 * compressed with DEFLATE and sealed with AES-256-GCM under the credential's
 * largeBlobKey, a 12-byte nonce, and associated data "blob" || uint64LE(origSize).
 * Everything else in the array belongs to someone else and is kept as it is.
 *
 * Crypto is node:crypto, compression node:zlib: nothing here is hand-made.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync, inflateRawSync, inflateSync } from 'node:zlib';
import { Fido2Error, type ErrorKind } from '../errors.js';
import { bytesEqual, concatBytes } from './bytes.js';
import { decodeCbor, encodeCbor, type CborValue } from './cbor.js';

/** Large-blob map member keys (§6.10.4). */
export const LargeBlobEntryKey = { ciphertext: 0x01, nonce: 0x02, origSize: 0x03 } as const;

export const LARGE_BLOB_KEY_LENGTH = 32;
export const LARGE_BLOB_NONCE_LENGTH = 12;
export const LARGE_BLOB_TAG_LENGTH = 16;
/** The serialized array ends with the first 16 bytes of SHA-256 over the CBOR array (§6.10.1). */
export const LARGE_BLOB_HASH_LENGTH = 16;
/** No data larger than this is ever inflated: a key holds kilobytes, and origSize is only a claim. */
export const MAX_ORIG_SIZE = 16 * 1024 * 1024;

export type LargeBlobErrorCode =
  | 'unsupported' // the key has no authenticatorLargeBlobs
  | 'too-large' // the array would exceed maxSerializedLargeBlobArray
  | 'bad-key' // a largeBlobKey that is not 32 bytes
  | 'entry-corrupt' // an entry that decrypts but does not inflate to origSize bytes
  | 'malformed'; // the key's fragments do not add up

const KIND: Record<LargeBlobErrorCode, ErrorKind> = {
  unsupported: 'unsupported',
  'too-large': 'storage-full',
  'bad-key': 'key-error',
  'entry-corrupt': 'key-error',
  malformed: 'transport',
};

/** A large-blob failure with a stable `code`; its `kind` gives the CLI's exit code. */
export class LargeBlobError extends Fido2Error {
  constructor(
    readonly code: LargeBlobErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(KIND[code], message, { ...options, reason: `large-blob-${code}` });
    this.name = 'LargeBlobError';
  }
}

export interface LargeBlobEntry {
  /** AES-GCM output: the encrypted compressed data followed by the 16-byte tag. */
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  /** Length of the data before compression. */
  origSize: number;
}

/** One element of the array: `entry` when it has the large-blob map shape, and always the item as decoded. */
export interface LargeBlobItem {
  entry?: LargeBlobEntry;
  raw: CborValue;
}

export type ArrayDamage = 'too-short' | 'hash-mismatch' | 'not-an-array';

export interface LargeBlobArray {
  items: LargeBlobItem[];
  /** Set when the stored bytes failed the check; the array then reads as empty (§6.10.2). */
  damage?: ArrayDamage;
  /** The bytes as read from the key. */
  serialized: Uint8Array;
}

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

/** "blob" || uint64LittleEndian(origSize) (§6.10.4). */
export function largeBlobAssociatedData(origSize: number): Uint8Array {
  const ad = new Uint8Array(12);
  ad.set([0x62, 0x6c, 0x6f, 0x62]);
  new DataView(ad.buffer).setBigUint64(4, BigInt(origSize), true);
  return ad;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== LARGE_BLOB_KEY_LENGTH) throw new LargeBlobError('bad-key', `A largeBlobKey has ${LARGE_BLOB_KEY_LENGTH} bytes, this one ${key.length}.`);
}

/**
 * Compresses `data` with raw DEFLATE (RFC 1951, as §6.10.4 specifies) and
 * seals it for the credential whose largeBlobKey is `key`. `nonce` is for
 * known-answer tests; otherwise it is random.
 */
export function sealLargeBlob(key: Uint8Array, data: Uint8Array, nonce: Uint8Array = randomBytes(LARGE_BLOB_NONCE_LENGTH)): LargeBlobEntry {
  checkKey(key);
  if (nonce.length !== LARGE_BLOB_NONCE_LENGTH) throw new RangeError(`the nonce must have ${LARGE_BLOB_NONCE_LENGTH} bytes`);
  const compressed = deflateRawSync(data, { level: zlibConstants.Z_BEST_COMPRESSION });
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: LARGE_BLOB_TAG_LENGTH });
  cipher.setAAD(largeBlobAssociatedData(data.length));
  const body = concatBytes(cipher.update(compressed), cipher.final());
  return { ciphertext: concatBytes(body, cipher.getAuthTag()), nonce: Uint8Array.from(nonce), origSize: data.length };
}

/** The compressed data when `key` opens the entry; undefined when it is another credential's. */
export function decryptLargeBlob(key: Uint8Array, entry: LargeBlobEntry): Uint8Array | undefined {
  checkKey(key);
  const split = entry.ciphertext.length - LARGE_BLOB_TAG_LENGTH;
  if (split < 0) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, entry.nonce, { authTagLength: LARGE_BLOB_TAG_LENGTH });
    decipher.setAuthTag(entry.ciphertext.subarray(split));
    decipher.setAAD(largeBlobAssociatedData(entry.origSize));
    return concatBytes(decipher.update(entry.ciphertext.subarray(0, split)), decipher.final());
  } catch {
    return undefined;
  }
}

/** RFC 1950 header: CM 8, window at most 32 KiB, and the check bits (CMF*256 + FLG divisible by 31). */
function looksZlibWrapped(data: Uint8Array): boolean {
  return data.length >= 2 && (data[0]! & 0x0f) === 8 && data[0]! >> 4 <= 7 && ((data[0]! << 8) | data[1]!) % 31 === 0;
}

/**
 * Inflates an entry's decrypted data. CTAP 2.1 writes raw DEFLATE (RFC 1951);
 * some platforms (python-fido2 among them) wrote the zlib wrapper (RFC 1950),
 * so both are read: the form the first bytes suggest first, then the other.
 */
export function inflateLargeBlob(compressed: Uint8Array, origSize: number): Uint8Array {
  if (!Number.isSafeInteger(origSize) || origSize < 0 || origSize > MAX_ORIG_SIZE) {
    throw new LargeBlobError('entry-corrupt', `The entry claims ${origSize} bytes of data, more than any key holds.`);
  }
  const attempts = looksZlibWrapped(compressed) ? [inflateSync, inflateRawSync] : [inflateRawSync, inflateSync];
  for (const inflate of attempts) {
    try {
      // One byte more than expected is enough to tell a wrong size from a right one.
      const out = inflate(compressed, { maxOutputLength: origSize + 1 });
      if (out.length === origSize) return new Uint8Array(out.buffer, out.byteOffset, out.length);
    } catch {
      // Not this form (or more data than origSize); try the other.
    }
  }
  throw new LargeBlobError('entry-corrupt', `The entry opens with this passkey's key but does not inflate to its ${origSize} bytes: it is damaged.`);
}

/** The data in `entry` when `key` opens it; undefined when it is another credential's. */
export function openLargeBlob(key: Uint8Array, entry: LargeBlobEntry): Uint8Array | undefined {
  const compressed = decryptLargeBlob(key, entry);
  return compressed === undefined ? undefined : inflateLargeBlob(compressed, entry.origSize);
}

export function largeBlobEntryToCbor(entry: LargeBlobEntry): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [LargeBlobEntryKey.ciphertext, entry.ciphertext],
    [LargeBlobEntryKey.nonce, entry.nonce],
    [LargeBlobEntryKey.origSize, entry.origSize],
  ]);
}

/** A large-blob map, or undefined for an element of another shape (which platforms skip, §6.10.4). */
export function parseLargeBlobEntry(value: CborValue): LargeBlobEntry | undefined {
  if (!(value instanceof Map)) return undefined;
  const ciphertext = value.get(LargeBlobEntryKey.ciphertext);
  const nonce = value.get(LargeBlobEntryKey.nonce);
  const origSize = value.get(LargeBlobEntryKey.origSize);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < LARGE_BLOB_TAG_LENGTH) return undefined;
  if (!(nonce instanceof Uint8Array) || nonce.length !== LARGE_BLOB_NONCE_LENGTH) return undefined;
  if (typeof origSize !== 'number' || !Number.isSafeInteger(origSize) || origSize < 0) return undefined;
  return { ciphertext, nonce, origSize };
}

/** CBOR array || LEFT(SHA-256(CBOR array), 16) (§6.10.1). */
export function serializeLargeBlobArray(items: readonly CborValue[]): Uint8Array {
  const array = encodeCbor(items);
  return concatBytes(array, sha256(array).subarray(0, LARGE_BLOB_HASH_LENGTH));
}

/** What a key holds before anything was written: an empty array and its hash. */
export const INITIAL_SERIALIZED_LARGE_BLOB_ARRAY: Uint8Array = Uint8Array.from(
  Buffer.from('8076be8b528d0075f7aae98d6fa57a6d3c', 'hex'),
);

/**
 * Checks and decodes the bytes read from the key. Bytes that fail the check
 * read as the initial (empty) array, as §6.10.2 tells platforms to do, with
 * `damage` saying why, so a tool can tell "empty" from "unreadable".
 */
export function parseSerializedLargeBlobArray(serialized: Uint8Array): LargeBlobArray {
  if (serialized.length < 1 + LARGE_BLOB_HASH_LENGTH) return { items: [], damage: 'too-short', serialized };
  const split = serialized.length - LARGE_BLOB_HASH_LENGTH;
  const array = serialized.subarray(0, split);
  if (!bytesEqual(sha256(array).subarray(0, LARGE_BLOB_HASH_LENGTH), serialized.subarray(split))) {
    return { items: [], damage: 'hash-mismatch', serialized };
  }
  let decoded: CborValue;
  try {
    decoded = decodeCbor(array);
  } catch {
    return { items: [], damage: 'not-an-array', serialized };
  }
  if (!Array.isArray(decoded)) return { items: [], damage: 'not-an-array', serialized };
  const items = (decoded as readonly CborValue[]).map((raw): LargeBlobItem => {
    const entry = parseLargeBlobEntry(raw);
    return entry === undefined ? { raw } : { entry, raw };
  });
  return { items, serialized };
}

/** The index of the first key in `keys` that opens `entry`, or -1 when none does. */
export function findLargeBlobOwner(entry: LargeBlobEntry, keys: readonly Uint8Array[]): number {
  return keys.findIndex((key) => key.length === LARGE_BLOB_KEY_LENGTH && decryptLargeBlob(key, entry) !== undefined);
}
