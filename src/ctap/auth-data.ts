/**
 * Authenticator data (WebAuthn L2 §6.1, carried by CTAP 2.1 §6.1 and §6.2
 * replies as `authData`):
 *
 *   rpIdHash (32) | flags (1) | signCount (4, big-endian)
 *   | attestedCredentialData (when AT): aaguid (16) | L (2, big-endian) | credentialId (L) | credentialPublicKey (COSE_Key, CBOR)
 *   | extensions (when ED): a CBOR map
 *
 * Pure: bytes in, typed data out. Anything short, long or inconsistent is an
 * AuthDataError naming what is wrong, never a partial result.
 */
import { Fido2Error } from '../errors.js';
import { decodeCbor, type CborMap, type CborValue } from './cbor.js';
import { COSE_ALG, COSE_KTY, coseAlgorithmName } from './cose-key.js';
import { toHex } from './bytes.js';

/** Flag bits of authenticator data (WebAuthn L2 §6.1; BE/BS from WebAuthn L3). */
export const AuthDataFlag = {
  /** User present. */
  UP: 0x01,
  /** User verified. */
  UV: 0x04,
  /** Backup eligible. */
  BE: 0x08,
  /** Backed up. */
  BS: 0x10,
  /** Attested credential data included. */
  AT: 0x40,
  /** Extension data included. */
  ED: 0x80,
} as const;

export interface AuthDataFlags {
  readonly up: boolean;
  readonly uv: boolean;
  readonly be: boolean;
  readonly bs: boolean;
  readonly at: boolean;
  readonly ed: boolean;
  /** The flags byte as sent. */
  readonly raw: number;
}

export interface AttestedPublicKey {
  /** COSE `kty` (2 EC2, 1 OKP, 3 RSA). */
  readonly kty: number;
  /** COSE `alg`, e.g. -7 for ES256. */
  readonly alg: number;
  readonly algorithmName: string;
  /** The COSE_Key map as decoded. */
  readonly cose: CborMap;
}

export interface AttestedCredentialData {
  readonly aaguid: Uint8Array;
  /** The AAGUID as a lowercase UUID string. */
  readonly aaguidText: string;
  readonly credentialId: Uint8Array;
  readonly publicKey: AttestedPublicKey;
}

export interface AuthenticatorData {
  readonly rpIdHash: Uint8Array;
  readonly flags: AuthDataFlags;
  readonly signCount: number;
  readonly attestedCredentialData?: AttestedCredentialData;
  /** Authenticator extension outputs by identifier. */
  readonly extensions?: CborMap;
  /** The bytes parsed (signatures cover them). */
  readonly raw: Uint8Array;
}

/** Malformed authenticator data: the key's reply cannot be trusted (kind `transport`, as every malformed reply). */
export class AuthDataError extends Fido2Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('transport', `The security key sent malformed authenticator data: ${detail}`, options);
    this.name = 'AuthDataError';
  }
}

const FIXED_LENGTH = 32 + 1 + 4;
/** Credential ids are at most 1023 bytes (WebAuthn L2 §6.5.1). */
const MAX_CREDENTIAL_ID_LENGTH = 1023;

export function parseFlags(raw: number): AuthDataFlags {
  return {
    up: (raw & AuthDataFlag.UP) !== 0,
    uv: (raw & AuthDataFlag.UV) !== 0,
    be: (raw & AuthDataFlag.BE) !== 0,
    bs: (raw & AuthDataFlag.BS) !== 0,
    at: (raw & AuthDataFlag.AT) !== 0,
    ed: (raw & AuthDataFlag.ED) !== 0,
    raw,
  };
}

/**
 * Length in bytes of the one CBOR data item starting at `offset` (RFC 8949
 * §3), without decoding it, so the COSE key and the extensions map that
 * follow each other can be cut apart. Throws AuthDataError when it runs past the end.
 */
export function cborItemLength(bytes: Uint8Array, offset: number, depth = 0): number {
  if (depth > 16) throw new AuthDataError('CBOR nested too deeply');
  const need = (n: number): void => {
    if (offset + n > bytes.length) throw new AuthDataError('truncated CBOR item');
  };
  need(1);
  const initial = bytes[offset]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  let head = 1;
  let arg: number;
  if (info < 24) arg = info;
  else if (info <= 27) {
    const size = 1 << (info - 24);
    need(1 + size);
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[offset + 1 + i]!);
    head += size;
    // Lengths beyond 2^53 can never fit in a reply; integers (major 0, 1, 7) only need skipping.
    arg = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  } else throw new AuthDataError('indefinite or reserved CBOR length');
  switch (major) {
    case 0:
    case 1:
    case 7:
      return head;
    case 2:
    case 3:
      need(head + arg);
      return head + arg;
    case 4:
    case 5: {
      let length = head;
      const items = major === 4 ? arg : arg * 2;
      for (let i = 0; i < items; i++) length += cborItemLength(bytes, offset + length, depth + 1);
      return length;
    }
    default: // 6: a tag and its item
      return head + cborItemLength(bytes, offset + head, depth + 1);
  }
}

function decodeItem(bytes: Uint8Array, what: string): CborValue {
  try {
    return decodeCbor(bytes);
  } catch (e) {
    throw new AuthDataError(`${what} is not valid CBOR`, { cause: e });
  }
}

function uuid(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseCredentialPublicKey(value: CborValue): AttestedPublicKey {
  if (!(value instanceof Map)) throw new AuthDataError('the credential public key is not a COSE_Key map');
  const cose = value as CborMap;
  const kty = cose.get(COSE_KTY);
  const alg = cose.get(COSE_ALG);
  if (typeof kty !== 'number' || !Number.isInteger(kty)) throw new AuthDataError('the credential public key has no kty');
  if (typeof alg !== 'number' || !Number.isInteger(alg)) throw new AuthDataError('the credential public key has no alg');
  return { kty, alg, algorithmName: coseAlgorithmName(alg), cose };
}

/** Parses authenticator data; every length is checked against the flags and the bytes present. */
export function parseAuthenticatorData(raw: Uint8Array): AuthenticatorData {
  if (!(raw instanceof Uint8Array)) throw new AuthDataError('authData is not a byte string');
  if (raw.length < FIXED_LENGTH) throw new AuthDataError(`${raw.length} bytes, shorter than the 37 of rpIdHash, flags and signCount`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const rpIdHash = raw.slice(0, 32);
  const flags = parseFlags(raw[32]!);
  const signCount = view.getUint32(33, false);
  let offset = FIXED_LENGTH;
  let attestedCredentialData: AttestedCredentialData | undefined;
  if (flags.at) {
    if (raw.length < offset + 18) throw new AuthDataError('the AT flag is set but the attested credential data is truncated');
    const aaguid = raw.slice(offset, offset + 16);
    const idLength = view.getUint16(offset + 16, false);
    offset += 18;
    if (idLength === 0 || idLength > MAX_CREDENTIAL_ID_LENGTH) throw new AuthDataError(`credential id length ${idLength} is outside 1..${MAX_CREDENTIAL_ID_LENGTH}`);
    if (raw.length < offset + idLength) throw new AuthDataError('the credential id is truncated');
    const credentialId = raw.slice(offset, offset + idLength);
    offset += idLength;
    const keyLength = cborItemLength(raw, offset);
    const publicKey = parseCredentialPublicKey(decodeItem(raw.subarray(offset, offset + keyLength), 'the credential public key'));
    offset += keyLength;
    attestedCredentialData = { aaguid, aaguidText: uuid(aaguid), credentialId, publicKey };
  }
  let extensions: CborMap | undefined;
  if (flags.ed) {
    if (offset >= raw.length) throw new AuthDataError('the ED flag is set but no extensions follow');
    const length = cborItemLength(raw, offset);
    const value = decodeItem(raw.subarray(offset, offset + length), 'the extensions');
    if (!(value instanceof Map)) throw new AuthDataError('the extensions are not a CBOR map');
    extensions = value as CborMap;
    offset += length;
  }
  if (offset !== raw.length) throw new AuthDataError(`${raw.length - offset} bytes left over after the ${flags.at || flags.ed ? 'last member' : 'signCount'} (flags 0x${flags.raw.toString(16).padStart(2, '0')})`);
  return {
    rpIdHash,
    flags,
    signCount,
    ...(attestedCredentialData === undefined ? {} : { attestedCredentialData }),
    ...(extensions === undefined ? {} : { extensions }),
    raw: raw.slice(),
  };
}
