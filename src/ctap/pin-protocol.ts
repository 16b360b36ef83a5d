/**
 * PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6 and §6.5.7), platform side.
 * Pure functions over bytes; randomness comes in from the caller (IVs) or from
 * the CSPRNG when not given.
 */
import { createCipheriv, createDecipheriv, createECDH, randomBytes } from 'node:crypto';
import { p256 } from '../p256.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from './bytes.js';
import { buildCoseKey, parseCoseKey, uncompressed, type CoseKey } from './cose-key.js';
import { malformed } from './errors.js';

export type PinProtocolVersion = 1 | 2;

export interface Encapsulation {
  /** The platform's public key, to send as keyAgreement (0x03). */
  keyAgreement: CoseKey;
  /** 32 bytes (protocol 1) or 64 bytes HMAC key || AES key (protocol 2). */
  sharedSecret: Uint8Array;
}

export interface PinProtocol {
  readonly version: PinProtocolVersion;
  /** Bytes of IV that encrypt() consumes from the caller's randomness (0 for protocol 1). */
  readonly ivLength: number;
  /** ECDH with the key's key-agreement COSE key; rejects malformed or off-curve keys. */
  encapsulate(peerCoseKey: unknown, platformPrivateKey?: Uint8Array): Encapsulation;
  /** Derive the shared secret from the ECDH x-coordinate Z. */
  kdf(z: Uint8Array): Uint8Array;
  encrypt(secret: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array;
  /** Throws a malformed-reply error when the ciphertext length is impossible. */
  decrypt(secret: Uint8Array, data: Uint8Array): Uint8Array;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
}

const ZERO_IV = new Uint8Array(16);

function aesCbc(mode: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = mode === 'encrypt' ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  // CTAP data is always whole blocks; PKCS#7 padding is not part of the protocol.
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

function ecdh(version: PinProtocolVersion, peerCoseKey: unknown, platformPrivateKey: Uint8Array | undefined, kdf: (z: Uint8Array) => Uint8Array): Encapsulation {
  const peer = parseCoseKey(peerCoseKey);
  const priv = platformPrivateKey ?? p256().utils.randomSecretKey();
  if (!p256().utils.isValidSecretKey(priv)) throw new RangeError(`PIN protocol ${version}: invalid platform private key`);
  // The scalar multiplications run in node:crypto (OpenSSL): in BigInt JavaScript they were most of
  // the host's CPU per key when many keys are provisioned at once (bench "Fleet apply").
  const agreement = createECDH('prime256v1');
  agreement.setPrivateKey(priv);
  let z: Uint8Array;
  try {
    // computeSecret returns the x-coordinate, the ECDH shared value; it refuses off-curve points.
    z = new Uint8Array(agreement.computeSecret(uncompressed(peer)));
  } catch (e) {
    throw malformed('keyAgreement point was refused by ECDH', e);
  }
  const pub = new Uint8Array(agreement.getPublicKey());
  return {
    keyAgreement: buildCoseKey({ x: pub.slice(1, 33), y: pub.slice(33, 65) }),
    sharedSecret: kdf(z),
  };
}

function requireBlocks(data: Uint8Array, what: string): void {
  if (data.length % 16 !== 0) throw new RangeError(`${what}: data must be a whole number of AES blocks`);
}

/** §6.5.6: SHA-256 KDF, zero IV, HMAC truncated to 16 bytes. */
export const pinProtocolV1: PinProtocol = Object.freeze({
  version: 1 as const,
  ivLength: 0,
  kdf(z: Uint8Array): Uint8Array {
    return sha256(z);
  },
  encapsulate(peerCoseKey: unknown, platformPrivateKey?: Uint8Array): Encapsulation {
    return ecdh(1, peerCoseKey, platformPrivateKey, (z) => sha256(z));
  },
  encrypt(secret: Uint8Array, data: Uint8Array): Uint8Array {
    requireBlocks(data, 'PIN protocol 1 encrypt');
    return aesCbc('encrypt', secret, ZERO_IV, data);
  },
  decrypt(secret: Uint8Array, data: Uint8Array): Uint8Array {
    if (data.length === 0 || data.length % 16 !== 0) {
      throw malformed(`encrypted field of ${data.length} bytes is not a whole number of AES blocks`);
    }
    return aesCbc('decrypt', secret, ZERO_IV, data);
  },
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return hmac(sha256, key, message).slice(0, 16);
  },
});

const HKDF_SALT = new Uint8Array(32);
const HMAC_KEY_INFO = utf8('CTAP2 HMAC key');
const AES_KEY_INFO = utf8('CTAP2 AES key');

function kdfV2(z: Uint8Array): Uint8Array {
  return concatBytes(hkdf(sha256, z, HKDF_SALT, HMAC_KEY_INFO, 32), hkdf(sha256, z, HKDF_SALT, AES_KEY_INFO, 32));
}

/** The AES half of a protocol-2 shared secret; a 32-byte pinUvAuthToken is never an AES key. */
function aesKeyV2(secret: Uint8Array): Uint8Array {
  if (secret.length !== 64) throw new RangeError('PIN protocol 2: shared secret must be 64 bytes');
  return secret.subarray(32, 64);
}

/** §6.5.7: HKDF-SHA-256 KDF, random IV prefixed to the ciphertext, full 32-byte HMAC. */
export const pinProtocolV2: PinProtocol = Object.freeze({
  version: 2 as const,
  ivLength: 16,
  kdf: kdfV2,
  encapsulate(peerCoseKey: unknown, platformPrivateKey?: Uint8Array): Encapsulation {
    return ecdh(2, peerCoseKey, platformPrivateKey, kdfV2);
  },
  encrypt(secret: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
    requireBlocks(data, 'PIN protocol 2 encrypt');
    const vector = iv ?? new Uint8Array(randomBytes(16));
    if (vector.length !== 16) throw new RangeError('PIN protocol 2 encrypt: IV must be 16 bytes');
    return concatBytes(vector, aesCbc('encrypt', aesKeyV2(secret), vector, data));
  },
  decrypt(secret: Uint8Array, data: Uint8Array): Uint8Array {
    if (data.length < 32 || data.length % 16 !== 0) {
      throw malformed(`encrypted field of ${data.length} bytes is not an IV plus whole AES blocks`);
    }
    return aesCbc('decrypt', aesKeyV2(secret), data.subarray(0, 16), data.subarray(16));
  },
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    // For the 64-byte shared secret the HMAC key is its first half; a token is used whole.
    return hmac(sha256, key.subarray(0, 32), message);
  },
});

export function pinProtocol(version: PinProtocolVersion): PinProtocol {
  return version === 2 ? pinProtocolV2 : pinProtocolV1;
}
