/**
 * Type checks for getInfo members: each names the member and what it should
 * have been, so a malformed reply is reported, not half-parsed.
 */
import type { CborMap } from './cbor.js';
import { toHex } from './bytes.js';
import { malformed } from './errors.js';
import type { PublicKeyCredentialParameters } from './get-info.js';

export function bad(field: string, expected: string): never {
  throw malformed(`getInfo ${field} is not ${expected}`);
}

export function asUint(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(field, 'an unsigned integer');
  return v;
}

export function asUint64(v: unknown, field: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n) return v;
  return bad(field, 'an unsigned integer');
}

export function asBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') bad(field, 'a boolean');
  return v;
}

export function asBytes(v: unknown, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) bad(field, 'a byte string');
  return v;
}

export function asArray(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) bad(field, 'an array');
  return v as unknown[];
}

export function asStrings(v: unknown, field: string): string[] {
  return asArray(v, field).map((s) => {
    if (typeof s !== 'string') bad(field, 'an array of text strings');
    return s;
  });
}

export function asUints(v: unknown, field: string): number[] {
  return asArray(v, field).map((n) => asUint(n, field));
}

export function asMap(v: unknown, field: string): CborMap {
  if (!(v instanceof Map)) bad(field, 'a map');
  return v as CborMap;
}

export function asTextKeyedRecord<T>(v: unknown, field: string, value: (x: unknown) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, x] of asMap(v, field)) {
    if (typeof k !== 'string') bad(field, 'a map with text keys');
    // defineProperty: a key named "__proto__" must stay a plain member.
    Object.defineProperty(out, k, { value: value(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function asAlgorithms(v: unknown): PublicKeyCredentialParameters[] {
  return asArray(v, 'algorithms').map((entry) => {
    const m = asMap(entry, 'algorithms');
    const type = m.get('type');
    const alg = m.get('alg');
    if (typeof type !== 'string' || typeof alg !== 'number' || !Number.isSafeInteger(alg)) {
      bad('algorithms', 'a list of {type, alg}');
    }
    return { type, alg };
  });
}

export function formatUuid(b: Uint8Array): string {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function asUrl(v: unknown): string {
  if (typeof v === 'string') return v;
  const bytes = asBytes(v, 'pinComplexityPolicyURL');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return bad('pinComplexityPolicyURL', 'UTF-8 text');
  }
}
