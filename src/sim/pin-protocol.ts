/**
 * PIN/UV auth protocols 1 and 2, authenticator side (CTAP 2.1 §6.5.6, §6.5.7).
 * Pure functions over byte arrays; the only randomness is protocol 2's IV,
 * which callers may supply (the known-answer vectors pin it).
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual, createECDH } from 'node:crypto';
import { p256 } from '../p256.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

export type PinUvAuthProtocol = 1 | 2;

/** A P-256 public key as the COSE_Key members CTAP uses (§6.5.6: kty EC2, alg -25, crv P-256). */
export interface CoseP256 {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

export class PinProtocolError extends Error {}

/** The uncompressed SEC1 point for (x, y). */
function sec1(pub: CoseP256): Uint8Array {
  if (pub.x.length !== 32 || pub.y.length !== 32) throw new PinProtocolError('coordinates must be 32 bytes');
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(pub.x, 1);
  out.set(pub.y, 33);
  return out;
}

export function publicKeyOf(privateKey: Uint8Array): CoseP256 {
  const p = p256().getPublicKey(privateKey, false);
  return { x: p.slice(1, 33), y: p.slice(33, 65) };
}

/** A fresh key-agreement private key; called lazily, never at import time. */
export function newKeyAgreementKey(): Uint8Array {
  return p256().utils.randomSecretKey();
}

/** kdf(Z) (§6.5.6 / §6.5.7): SHA-256(Z) for protocol 1, HMAC key || AES key by HKDF for protocol 2. */
export function kdf(protocol: PinUvAuthProtocol, z: Uint8Array): Uint8Array {
  if (protocol === 1) return sha256(z);
  const salt = new Uint8Array(32);
  const te = new TextEncoder();
  const out = new Uint8Array(64);
  out.set(hkdf(sha256, z, salt, te.encode('CTAP2 HMAC key'), 32), 0);
  out.set(hkdf(sha256, z, salt, te.encode('CTAP2 AES key'), 32), 32);
  return out;
}

/**
 * decapsulate(peerCoseKey): ECDH with our key-agreement key, then kdf of
 * the x-coordinate. Throws PinProtocolError for a point not on the curve.
 */
export function sharedSecret(protocol: PinUvAuthProtocol, privateKey: Uint8Array, peer: CoseP256): Uint8Array {
  let z: Uint8Array;
  try {
    // In node:crypto (OpenSSL), so one process can serve many keys at once (the fleet benchmark);
    // computeSecret gives the x-coordinate and refuses points off the curve.
    const agreement = createECDH('prime256v1');
    agreement.setPrivateKey(privateKey);
    z = new Uint8Array(agreement.computeSecret(sec1(peer)));
  } catch (e) {
    throw new PinProtocolError(`invalid platform key: ${(e as Error).message}`);
  }
  return kdf(protocol, z);
}

function aesKey(protocol: PinUvAuthProtocol, secret: Uint8Array): Uint8Array {
  return protocol === 1 ? secret : secret.subarray(32, 64);
}

function hmacKey(protocol: PinUvAuthProtocol, key: Uint8Array): Uint8Array {
  // Protocol 2 uses the first 32 bytes: the HMAC half of a shared secret, or a whole token.
  return protocol === 1 ? key : key.subarray(0, 32);
}

function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** encrypt(key, demPlaintext): zero IV for protocol 1; IV || ciphertext for protocol 2. */
export function encrypt(
  protocol: PinUvAuthProtocol,
  secret: Uint8Array,
  plaintext: Uint8Array,
  iv: Uint8Array = protocol === 2 ? new Uint8Array(randomBytes(16)) : new Uint8Array(16),
): Uint8Array {
  if (plaintext.length % 16 !== 0) throw new PinProtocolError('plaintext is not a whole number of blocks');
  const ct = cbc(true, aesKey(protocol, secret), protocol === 1 ? new Uint8Array(16) : iv, plaintext);
  if (protocol === 1) return ct;
  const out = new Uint8Array(16 + ct.length);
  out.set(iv, 0);
  out.set(ct, 16);
  return out;
}

/** decrypt(key, ciphertext); throws PinProtocolError when the length is not whole blocks. */
export function decrypt(protocol: PinUvAuthProtocol, secret: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (protocol === 1) {
    if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new PinProtocolError('bad ciphertext length');
    return cbc(false, aesKey(1, secret), new Uint8Array(16), ciphertext);
  }
  if (ciphertext.length < 32 || ciphertext.length % 16 !== 0) throw new PinProtocolError('bad ciphertext length');
  return cbc(false, aesKey(2, secret), ciphertext.subarray(0, 16), ciphertext.subarray(16));
}

/** authenticate(key, message): HMAC-SHA-256, truncated to 16 bytes for protocol 1. */
export function authenticate(protocol: PinUvAuthProtocol, key: Uint8Array, message: Uint8Array): Uint8Array {
  const mac = hmac(sha256, hmacKey(protocol, key), message);
  return protocol === 1 ? mac.subarray(0, 16) : mac;
}

/** verify(key, message, signature), in constant time. */
export function verify(
  protocol: PinUvAuthProtocol,
  key: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const expected = authenticate(protocol, key, message);
  return signature.length === expected.length && timingSafeEqual(expected, signature);
}

/** LEFT(SHA-256(pin), 16): what the key stores and what pinHashEnc carries. */
export function pinHash(pinUtf8: Uint8Array): Uint8Array {
  return sha256(pinUtf8).slice(0, 16);
}
