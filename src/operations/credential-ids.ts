/**
 * Naming one passkey: by its id as bytes, or by the base64url id (or a unique
 * start of it) that `credentials list` prints. Pure: decided against the
 * key's own listing, so an unknown or ambiguous name touches nothing.
 */
import type { CredentialListing, RelyingParty, StoredCredential } from '../ctap/credential-management.js';
import { Fido2Error } from '../errors.js';

export const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/**
 * A passkey as a caller names it: the credential id's bytes (matched exactly),
 * or its base64url text, standard base64 too, or a unique start of it.
 */
export type CredentialRef = Uint8Array | string;

/** A passkey with the site it belongs to. */
export interface Located {
  rp: RelyingParty;
  credential: StoredCredential;
}

export function flatten(listing: CredentialListing): Located[] {
  return listing.rps.flatMap((r) => r.credentials.map((credential) => ({ rp: r.rp, credential })));
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Refuses locally what can never name a credential, before the PIN is asked for. */
export function checkIdArgument(arg: string): string {
  // Standard base64 (as fido2-token and Token2's fido2-manage print ids) is taken too.
  const id = arg.trim().replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  if (!B64URL.test(id)) {
    throw new Fido2Error('usage', `"${arg}" is not a credential id: give the base64url id (or a unique start of it) from \`fido2-manage credentials list\`.`, { reason: 'credential-id-syntax' });
  }
  return id;
}

/** A reference checked for its form (before anything is sent); bytes stay bytes. */
export function checkCredentialRef(ref: CredentialRef): CredentialRef {
  return typeof ref === 'string' ? checkIdArgument(ref) : ref;
}

/**
 * The one credential an id or id prefix names. An exact id wins over longer
 * ids it is a prefix of; bytes match exactly only; an unknown or ambiguous
 * prefix is refused with its own reason and nothing is touched.
 */
export function resolveCredential(all: readonly Located[], ref: CredentialRef): Located {
  const id = typeof ref === 'string' ? ref : b64url(ref);
  const exact = all.filter((c) => b64url(c.credential.credentialId) === id);
  if (exact.length === 1) return exact[0]!;
  const matches = typeof ref === 'string' ? all.filter((c) => b64url(c.credential.credentialId).startsWith(id)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new Fido2Error('usage', `No passkey on this key has an id starting with "${id}"; nothing was changed. See \`fido2-manage credentials list\`.`, { reason: 'credential-unknown' });
  }
  throw new Fido2Error('usage', `"${id}" is the start of ${matches.length} passkey ids; give more characters. Nothing was changed.`, { reason: 'credential-ambiguous' });
}

/**
 * For each id, the shortest prefix (at least `min` characters) no other id
 * starts with, so text output stays short and every shown id can be typed back.
 */
export function uniquePrefixes(ids: readonly string[], min = 8): string[] {
  return ids.map((id, i) => {
    for (let n = Math.min(min, id.length); n < id.length; n++) {
      const p = id.slice(0, n);
      if (ids.every((other, j) => j === i || !other.startsWith(p))) return p;
    }
    return id;
  });
}

/** "alice (Alice A.) at example.com", for messages about one passkey. */
export function whose(l: Located): string {
  const u = l.credential.user;
  const name = u.name ?? u.displayName ?? 'an unnamed user';
  const display = u.displayName !== undefined && u.displayName !== '' && u.displayName !== name ? ` (${u.displayName})` : '';
  return `${name}${display} at ${l.rp.id}`;
}
