import type { p256 as NobleP256 } from '@noble/curves/nist.js';

export type P256 = typeof NobleP256;

let curve: P256 | undefined;

/**
 * Loads @noble/curves on first need. It is about a fifth of the start-up of
 * `info`, which never does ECDH, so the modules that do ECDH await this first.
 */
export async function loadP256(): Promise<P256> {
  return (curve ??= (await import('@noble/curves/nist.js')).p256);
}

/** The curve, once loadP256() has resolved; a programming error before that. */
export function p256(): P256 {
  if (curve === undefined) throw new Error('internal error: P-256 used before loadP256()');
  return curve;
}
