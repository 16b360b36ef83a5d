/**
 * What the `credentials` commands share: opening credential management with
 * one `cm` token, naming credentials by base64url id or a unique prefix, and
 * the JSON form of a listing.
 */
import { CredentialManagement, credentialManagementCommand, type CredentialListing, type StoredCredential, type RelyingParty } from '../../ctap/credential-management.js';
import { CtapError } from '../../ctap/errors.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import { PERM_CM } from '../../ctap/permissions.js';
import { toHex } from '../../ctap/bytes.js';
import type { CborValue } from '../../ctap/cbor.js';
import { Fido2Error } from '../../errors.js';
import { obtainToken } from '../authorize.js';
import { explain } from '../../operations/explain.js';
import type { GlobalOptions } from '../global-options.js';
import type { PinIo } from '../pin-input.js';
import type { Session } from '../session.js';

export const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

const NO_CRED_MGMT = 'This key has no credential management (it speaks CTAP 2.0 or only U2F), so it cannot list, delete or rename passkeys.';

/** getInfo, or exit 5 for a key that cannot manage credentials (U2F-only, CTAP 2.0). */
export async function credentialKeyInfo(s: Session): Promise<AuthenticatorInfo> {
  if (!s.device.capabilities.cbor) throw new Fido2Error('unsupported', NO_CRED_MGMT);
  let info: AuthenticatorInfo;
  try {
    info = await s.ctap.getInfo();
  } catch (e) {
    // A U2F key that sets the CBOR bit but refuses getInfo.
    if (e instanceof CtapError && e.status === 0x01) throw new Fido2Error('unsupported', NO_CRED_MGMT);
    throw e;
  }
  if (credentialManagementCommand(info) === undefined) throw new Fido2Error('unsupported', NO_CRED_MGMT);
  return info;
}

/** One token with the `cm` permission (getPinToken on keys without permission tokens) for the whole command. */
export async function openCredentialManagement(s: Session, info: AuthenticatorInfo, g: GlobalOptions, io: PinIo): Promise<CredentialManagement> {
  const token = await obtainToken(s, info, g, io, PERM_CM);
  return new CredentialManagement(s.ctap, info, token);
}

/** Runs one step against the key and words its refusal for people. */
export async function keyStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw explain(e);
  }
}

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

/**
 * The one credential an id or id prefix names. An exact id wins over longer
 * ids it is a prefix of; an unknown or ambiguous prefix is refused with its own
 * reason and nothing is touched.
 */
export function resolveCredential(all: Located[], id: string): Located {
  const exact = all.filter((c) => b64url(c.credential.credentialId) === id);
  if (exact.length === 1) return exact[0]!;
  const matches = all.filter((c) => b64url(c.credential.credentialId).startsWith(id));
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
