/**
 * What CTAP 2.2/2.3 adds to a 2.1 key, as pure decisions: the encrypted getInfo
 * members (§6.4 encIdentifier, encCredStoreState), the PIN limits (maxPINLength,
 * pinComplexityPolicy) and the persistent token's read-only reach (§6.8, pcmr).
 */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Permission pcmr: persistent credential management, read-only (CTAP 2.3 §6.5.5.7). */
export const PCMR = 0x40;

/**
 * getInfo maxPINLength (0x1D), in code points: the largest count at which every PIN written in
 * two-byte UTF-8 characters (Latin with diacritics, Greek, Cyrillic...) still fits the 63-byte
 * limit of paddedPin (§6.5.5.5), so the advertised limit never hides a tighter byte limit for them.
 */
export const MAX_PIN_LENGTH = 31;

/** getInfo attestationFormats (0x16): what makeCredential returns. */
export const ATTESTATION_FORMATS = ['packed'] as const;

/**
 * §6.4: IV (16 random bytes) ‖ AES-128-CBC(key, IV, value), key = HKDF-SHA-256(salt = 32 zero bytes,
 * IKM = persistentPinUvAuthToken, info = the member's name, 16 bytes). A fresh IV every time, so
 * getInfo never shows the same bytes twice and reveals nothing to whoever lacks the token.
 */
export function encryptInfoMember(token: Uint8Array, member: 'encIdentifier' | 'encCredStoreState', value: Uint8Array, iv: Uint8Array = new Uint8Array(randomBytes(16))): Uint8Array {
  const key = Buffer.from(hkdfSync('sha256', token, new Uint8Array(32), Buffer.from(member, 'utf8'), 16));
  const cipher = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([iv, cipher.update(value), cipher.final()]));
}

/**
 * This key's PIN complexity rule (getInfo pinComplexityPolicy true): a PIN is refused when all its
 * code points are the same ("1111", "aaaa") or when each code point is one more, or each one less,
 * than the one before ("1234", "4321", "abcdef"). Anything else passes. The rule only catches the
 * patterns people pick first; minPINLength stays the length rule.
 */
export function breaksComplexityPolicy(pin: string): boolean {
  const cps = [...pin].map((c) => c.codePointAt(0)!);
  if (cps.length < 2) return false;
  const steps = cps.slice(1).map((c, i) => c - cps[i]!);
  return steps.every((d) => d === 0) || steps.every((d) => d === 1) || steps.every((d) => d === -1);
}
