/**
 * What the `credentials` commands share for presentation: the JSON form of a
 * listing. Naming passkeys by id or prefix lives in src/operations/credential-ids.ts.
 */
import type { CredentialListing, StoredCredential, RelyingParty } from '../../ctap/credential-management.js';
import { toHex } from '../../ctap/bytes.js';
import type { CborValue } from '../../ctap/cbor.js';
import { b64url } from '../../operations/credential-ids.js';

export { b64url, checkIdArgument, flatten, type Located, resolveCredential, uniquePrefixes } from '../../operations/credential-ids.js';

/** COSE keys carry integer labels and byte strings; JSON gets numbers as keys and bytes as base64url. */
function coseToJson(cose: Map<CborValue, CborValue>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of cose) {
    const key = String(k);
    if (v instanceof Uint8Array) out[key] = b64url(v);
    else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) out[key] = v;
    else if (typeof v === 'bigint') out[key] = v.toString();
  }
  return out;
}

const textOf = (bytes: Uint8Array): string | undefined => {
  const s = Buffer.from(bytes).toString('utf8');
  return /^[\x20-\x7e]+$/.test(s) ? s : undefined;
};

export function credentialToJson(c: StoredCredential): Record<string, unknown> {
  return {
    credentialId: b64url(c.credentialId),
    user: {
      id: b64url(c.user.id),
      ...(textOf(c.user.id) === undefined ? {} : { idText: textOf(c.user.id) }),
      ...(c.user.name === undefined ? {} : { name: c.user.name }),
      ...(c.user.displayName === undefined ? {} : { displayName: c.user.displayName }),
    },
    publicKey: { algorithm: c.publicKey.algorithm, algorithmName: c.publicKey.algorithmName, cose: coseToJson(c.publicKey.cose) },
    ...(c.credProtect === undefined ? {} : { credProtect: c.credProtect }),
    largeBlobKey: c.largeBlobKey !== undefined,
    ...(c.thirdPartyPayment === undefined ? {} : { thirdPartyPayment: c.thirdPartyPayment }),
  };
}

export function rpToJson(rp: RelyingParty): Record<string, unknown> {
  return { id: rp.id, ...(rp.name === undefined ? {} : { name: rp.name }), rpIdHash: toHex(rp.rpIdHash) };
}

export function listingToJson(listing: CredentialListing): Record<string, unknown> {
  return {
    stored: listing.metadata.existing,
    remaining: listing.metadata.remaining,
    rps: listing.rps.map((r) => ({ rp: rpToJson(r.rp), credentials: r.credentials.map(credentialToJson) })),
  };
}
