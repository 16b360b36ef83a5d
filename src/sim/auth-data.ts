/** Authenticator data (WebAuthn §6.1), as makeCredential and getAssertion return it. */
import { sha256 } from '@noble/hashes/sha2.js';

export const Flag = { UP: 0x01, UV: 0x04, AT: 0x40, ED: 0x80 } as const;

export function rpIdHash(rpId: string): Uint8Array {
  return sha256(new TextEncoder().encode(rpId));
}

export interface AttestedCredential {
  readonly aaguid: Uint8Array;
  readonly credentialId: Uint8Array;
  readonly cosePublicKey: Uint8Array;
}

export function authenticatorData(
  rpHash: Uint8Array,
  flags: number,
  signCount: number,
  attested?: AttestedCredential,
  extensions?: Uint8Array,
): Uint8Array {
  const parts: Uint8Array[] = [rpHash, Uint8Array.of(flags), be32(signCount)];
  if (attested) {
    parts.push(attested.aaguid, Uint8Array.of(attested.credentialId.length >> 8, attested.credentialId.length & 0xff));
    parts.push(attested.credentialId, attested.cosePublicKey);
  }
  if (extensions) parts.push(extensions);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function be32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
