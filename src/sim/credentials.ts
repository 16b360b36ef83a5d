/**
 * Credential key material. Every credential ID wraps its private key under
 * the key's credential secret (AES-256-GCM, with the RP ID hash as
 * associated data), so non-discoverable credentials need no storage and an
 * ID presented for another RP simply fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { p256 } from '../p256.js';
import { encodeCbor } from './cbor.js';
import type { CredProtect } from './state.js';

const ID_VERSION = 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
/** version || IV || encrypted (private key || flags) || tag; flags = credProtect | DISCOVERABLE */
export const CREDENTIAL_ID_LENGTH = 1 + IV_LENGTH + 33 + TAG_LENGTH;
/**
 * Marks the ID of a discoverable credential: such an ID is only good while
 * the key still stores the credential, so that deleting it (§6.8.5) or a
 * replacing makeCredential retires the ID too, although it could still open.
 */
const DISCOVERABLE = 0x80;

/** COSE algorithm ES256 (RFC 9053), the only one the key offers. */
export const ES256 = -7;

export function newCredentialPrivateKey(): Uint8Array {
  return p256().utils.randomSecretKey();
}

export function wrapCredentialId(
  secret: Uint8Array,
  rpIdHash: Uint8Array,
  privateKey: Uint8Array,
  credProtect: CredProtect,
  discoverable: boolean,
): Uint8Array {
  const iv = randomBytes(IV_LENGTH);
  const c = createCipheriv('aes-256-gcm', secret, iv);
  c.setAAD(rpIdHash);
  const plain = new Uint8Array(33);
  plain.set(privateKey, 0);
  plain[32] = credProtect | (discoverable ? DISCOVERABLE : 0);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return new Uint8Array(Buffer.concat([Buffer.of(ID_VERSION), iv, body, c.getAuthTag()]));
}

/** The key inside `id` if this key made it for this RP; undefined otherwise. */
export function unwrapCredentialId(
  secret: Uint8Array,
  rpIdHash: Uint8Array,
  id: Uint8Array,
): { privateKey: Uint8Array; credProtect: CredProtect; discoverable: boolean } | undefined {
  if (id.length !== CREDENTIAL_ID_LENGTH || id[0] !== ID_VERSION) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', secret, id.subarray(1, 1 + IV_LENGTH));
    d.setAAD(rpIdHash);
    d.setAuthTag(id.subarray(id.length - TAG_LENGTH));
    const plain = Buffer.concat([d.update(id.subarray(1 + IV_LENGTH, id.length - TAG_LENGTH)), d.final()]);
    const credProtect = plain[32]! & ~DISCOVERABLE;
    if (credProtect !== 1 && credProtect !== 2 && credProtect !== 3) return undefined;
    return { privateKey: new Uint8Array(plain.subarray(0, 32)), credProtect, discoverable: (plain[32]! & DISCOVERABLE) !== 0 };
  } catch {
    return undefined;
  }
}

/** The credential public key as a COSE_Key map (kty EC2, alg ES256, crv P-256). */
export function coseEs256PublicKeyMap(privateKey: Uint8Array): Map<number, number | Uint8Array> {
  const p = p256().getPublicKey(privateKey, false);
  return new Map<number, number | Uint8Array>([
    [1, 2],
    [3, ES256],
    [-1, 1],
    [-2, p.slice(1, 33)],
    [-3, p.slice(33, 65)],
  ]);
}

/** The same COSE_Key in canonical CBOR, as attested credential data carries it. */
export function coseEs256PublicKey(privateKey: Uint8Array): Uint8Array {
  return encodeCbor(coseEs256PublicKeyMap(privateKey));
}

/** ECDSA P-256 over SHA-256 of `message`, DER encoded as WebAuthn expects. */
export function signEs256(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return p256().sign(message, privateKey, { format: 'der' });
}
