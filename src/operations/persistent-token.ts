/**
 * The persistent read-only token (CTAP 2.2+ permission `pcmr`, getInfo option
 * `perCredMgmtRO`) and what it unlocks in getInfo: pure crypto, no I/O.
 *
 * getInfo's encIdentifier (0x19) and encCredStoreState (0x1E) are each
 * IV (16 bytes) ‖ AES-128-CBC(key, 16-byte value), without padding, where
 * key = HKDF-SHA-256(salt = 32 zero bytes, IKM = the persistent token,
 * info = the member's name in ASCII, L = 16) (CTAP 2.3 §6.4, the two members'
 * definitions). The IV is fresh on every getInfo, so only the decrypted
 * values can be compared.
 */
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';

export type EncryptedInfoMember = 'encIdentifier' | 'encCredStoreState';

const BLOCK = 16;

/** The AES-128 key for one encrypted getInfo member. */
export function infoMemberKey(persistentToken: Uint8Array, member: EncryptedInfoMember): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', persistentToken, new Uint8Array(32), Buffer.from(member, 'ascii'), BLOCK));
}

/**
 * The 16-byte value of encIdentifier or encCredStoreState, or undefined when
 * the member is not IV ‖ one block. AES-CBC has no integrity: a wrong token
 * gives random bytes, never an error, so callers compare the result with a
 * value they trust.
 */
export function decryptInfoMember(persistentToken: Uint8Array, member: EncryptedInfoMember, encrypted: Uint8Array): Uint8Array | undefined {
  if (encrypted.length !== 2 * BLOCK || persistentToken.length === 0) return undefined;
  const decipher = createDecipheriv('aes-128-cbc', infoMemberKey(persistentToken, member), encrypted.subarray(0, BLOCK));
  decipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([decipher.update(encrypted.subarray(BLOCK)), decipher.final()]));
}

/** Domain separation for keyIdOf: the digest of an identifier means nothing elsewhere. */
export const KEY_ID_DOMAIN = 'fido2-manage key id v1\0';

/**
 * A one-way name for a key's identifier, safe to print and to keep: the first
 * 16 hex digits of SHA-256(KEY_ID_DOMAIN ‖ identifier). The identifier itself
 * is never shown, so outputs from different tools cannot be joined on it.
 */
export function keyIdOf(identifier: Uint8Array): string {
  return createHash('sha256').update(KEY_ID_DOMAIN, 'utf8').update(identifier).digest('hex').slice(0, 16);
}

/** A one-way fingerprint of a credential store state, for the listing cache (the state itself is not kept). */
export function storeStateDigest(state: Uint8Array): string {
  return createHash('sha256').update('fido2-manage cred store state v1\0', 'utf8').update(state).digest('hex');
}
