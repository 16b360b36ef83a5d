/**
 * Typed reads of CTAP request parameters. A required parameter that is absent
 * is CTAP2_ERR_MISSING_PARAMETER; one of the wrong CBOR type is
 * CTAP2_ERR_CBOR_UNEXPECTED_TYPE (CTAP 2.1 §8.2).
 */
import type { CborMap, CborValue } from './cbor.js';
import { Status, fail } from './status.js';

function present(map: CborMap, key: number | string): CborValue {
  const v = map.get(key);
  // A CBOR null is treated like an absent member, as for optional WebAuthn fields.
  return v === null ? undefined : v;
}

function required<T>(v: T | undefined): T {
  return v === undefined ? fail(Status.MISSING_PARAMETER) : v;
}

export function optUint(map: CborMap, key: number | string): number | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (typeof v === 'bigint' && v > 0n) return Number.MAX_SAFE_INTEGER; // huge but valid
  if (typeof v !== 'number' || v < 0) fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}
export const reqUint = (map: CborMap, key: number | string): number => required(optUint(map, key));

export function optInt(map: CborMap, key: number | string): number | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  if (typeof v !== 'number') fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}

export function optBytes(map: CborMap, key: number | string): Uint8Array | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}
export const reqBytes = (map: CborMap, key: number | string): Uint8Array => required(optBytes(map, key));

export function optText(map: CborMap, key: number | string): string | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}
export const reqText = (map: CborMap, key: number | string): string => required(optText(map, key));

export function optBool(map: CborMap, key: number | string): boolean | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}

export function optMap(map: CborMap, key: number | string): CborMap | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (!(v instanceof Map)) fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}
export const reqMap = (map: CborMap, key: number | string): CborMap => required(optMap(map, key));

export function optArray(map: CborMap, key: number | string): CborValue[] | undefined {
  const v = present(map, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}
export const reqArray = (map: CborMap, key: number | string): CborValue[] => required(optArray(map, key));

/** Reads a map member that must itself be a map (array elements, nested structures). */
export function asMap(v: CborValue): CborMap {
  if (!(v instanceof Map)) fail(Status.CBOR_UNEXPECTED_TYPE);
  return v;
}
