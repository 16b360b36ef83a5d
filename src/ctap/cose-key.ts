/**
 * The COSE_Key form of a P-256 key-agreement key as used by authenticatorClientPIN
 * (CTAP 2.1 §6.5.6 / §6.5.7: kty EC2, alg -25 ECDH-ES+HKDF-256, crv P-256).
 */
import { p256 } from '../p256.js';
import type { CborMap, CborValue } from './cbor.js';
import { concatBytes } from './bytes.js';
import { malformed } from './errors.js';

export const COSE_KTY = 1;
export const COSE_ALG = 3;
export const COSE_CRV = -1;
export const COSE_X = -2;
export const COSE_Y = -3;
export const COSE_KTY_EC2 = 2;
export const COSE_ALG_ECDH_ES_HKDF_256 = -25;
export const COSE_CRV_P256 = 1;

/** A COSE key map as it goes on the wire. */
export type CoseKey = Map<number, CborValue>;

export interface P256Point {
  x: Uint8Array;
  y: Uint8Array;
}

export function buildCoseKey(point: P256Point): CoseKey {
  return new Map<number, CborValue>([
    [COSE_KTY, COSE_KTY_EC2],
    [COSE_ALG, COSE_ALG_ECDH_ES_HKDF_256],
    [COSE_CRV, COSE_CRV_P256],
    [COSE_X, point.x],
    [COSE_Y, point.y],
  ]);
}

/**
 * Validate the key's key-agreement COSE key and return its point. The point is
 * checked to lie on P-256: an off-curve point would leak the platform key
 * (invalid-curve attack). `alg` is not enforced because the curve and kty fully
 * determine the ECDH computation and some keys advertise other alg values.
 */
export function parseCoseKey(value: unknown): P256Point {
  if (!(value instanceof Map)) throw malformed('keyAgreement is not a COSE key map');
  const key = value as CborMap;
  if (key.get(COSE_KTY) !== COSE_KTY_EC2) throw malformed('keyAgreement is not an EC2 COSE key');
  if (key.get(COSE_CRV) !== COSE_CRV_P256) throw malformed('keyAgreement is not on curve P-256');
  const x = key.get(COSE_X);
  const y = key.get(COSE_Y);
  if (!(x instanceof Uint8Array) || x.length !== 32 || !(y instanceof Uint8Array) || y.length !== 32) {
    throw malformed('keyAgreement coordinates are not 32-byte strings');
  }
  try {
    p256().Point.fromBytes(uncompressed({ x, y })).assertValidity();
  } catch (e) {
    throw malformed('keyAgreement point is not on curve P-256', e);
  }
  return { x, y };
}

export function uncompressed(point: P256Point): Uint8Array {
  return concatBytes(Uint8Array.of(0x04), point.x, point.y);
}

/** Names of the COSE algorithms FIDO keys use for credentials (IANA COSE Algorithms registry). */
const COSE_ALGORITHM_NAMES: ReadonlyMap<number, string> = new Map([
  [-7, 'ES256'],
  [-8, 'EdDSA'],
  [-35, 'ES384'],
  [-36, 'ES512'],
  [-47, 'ES256K'],
  [-257, 'RS256'],
  [-37, 'PS256'],
  [-25, 'ECDH-ES+HKDF-256'],
]);

/** The algorithm's registered name, or `COSE(<id>)` for one this tool does not know. */
export function coseAlgorithmName(alg: number): string {
  return COSE_ALGORITHM_NAMES.get(alg) ?? `COSE(${alg})`;
}
