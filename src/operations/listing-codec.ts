/**
 * A credential listing as plain JSON for the token store's cache and back:
 * byte strings as { $b: base64 }, COSE maps as { $m: [[key, value], ...] }.
 * Pure; anything that does not decode is treated as no cache at all.
 */
import type { CborValue } from '../ctap/cbor.js';
import type { CredentialListing } from '../ctap/credential-management.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function encode(v: unknown): Json {
  if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('base64') };
  if (v instanceof Map) return { $m: [...v].map(([k, x]) => [encode(k), encode(x)]) };
  if (typeof v === 'bigint') return { $n: v.toString() };
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encode(x);
    return out;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  throw new TypeError(`cannot keep a ${typeof v} in the listing cache`);
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$b === 'string') return new Uint8Array(Buffer.from(o.$b, 'base64'));
    if (typeof o.$n === 'string') return BigInt(o.$n);
    if (Array.isArray(o.$m)) return new Map<CborValue, CborValue>(o.$m.map((pair) => [decode((pair as unknown[])[0]) as CborValue, decode((pair as unknown[])[1]) as CborValue]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

export function encodeListing(listing: CredentialListing): unknown {
  return encode(listing);
}

export function decodeListing(v: unknown): CredentialListing | undefined {
  try {
    const l = decode(v) as CredentialListing;
    if (typeof l?.metadata?.existing !== 'number' || !Array.isArray(l.rps)) return undefined;
    return l;
  } catch {
    return undefined;
  }
}

/** Only the sites named `rpId`, as listAll(rpId) would have returned them. */
export function filterListing(listing: CredentialListing, rpId: string | undefined): CredentialListing {
  return rpId === undefined ? listing : { metadata: listing.metadata, rps: listing.rps.filter((r) => r.rp.id === rpId) };
}
