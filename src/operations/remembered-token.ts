/**
 * A remembered persistent read-only token (pcmr) for one key: obtaining and
 * keeping it, finding it again for the same key, dropping it when the key no
 * longer honours it, and the listing cache kept beside it.
 *
 * A key is recognised by its identifier: getInfo's encIdentifier decrypted
 * with each kept token; only the right token gives back the identifier whose
 * digest was kept with it. An entry whose token decrypts nothing right but
 * whose `hint` (how the key was reached, and its AAGUID) matches is this key
 * with a token it no longer honours (a PIN change or reset replaces the
 * persistent token, CTAP 2.3 §6.5.5.7).
 */
import { makePinUvAuthToken, type PinUvAuthToken } from '../ctap/client-pin.js';
import type { CredentialListing } from '../ctap/credential-management.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_PCMR } from '../ctap/permissions.js';
import { pinProtocol } from '../ctap/pin-protocol.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import type { KeyHandle } from './key-handle.js';
import { decodeListing, encodeListing, filterListing } from './listing-codec.js';
import { decryptInfoMember, keyIdOf, storeStateDigest } from './persistent-token.js';
import type { RememberedKey, TokenStore } from './token-store.js';
import { obtainToken } from './token.js';

export interface RememberedToken {
  readonly entry: RememberedKey;
  /** The persistent token, ready to authenticate credential management reads. */
  readonly token: PinUvAuthToken;
  /** keyIdOf the key's identifier, when it reports encIdentifier. */
  readonly keyId?: string;
  /** storeStateDigest of the key's encCredStoreState at this getInfo, when it reports one. */
  readonly state?: string;
}

/** Keys that can give a persistent read-only token (CTAP 2.2+ option perCredMgmtRO). */
export function canRemember(info: AuthenticatorInfo): boolean {
  return info.options.perCredMgmtRO === true && info.options.pinUvAuthToken === true;
}

/** How a key was reached plus its AAGUID: a fallback match for keys whose token no longer decrypts. */
export function keyHint(label: string, info: AuthenticatorInfo): string {
  return `${Buffer.from(info.aaguid).toString('hex')}@${label}`;
}

const tokenBytes = (e: RememberedKey): Uint8Array => new Uint8Array(Buffer.from(e.token, 'base64'));

function withEntry(info: AuthenticatorInfo, entry: RememberedKey, keyId?: string): RememberedToken {
  const bytes = tokenBytes(entry);
  const state = info.encCredStoreState && decryptInfoMember(bytes, 'encCredStoreState', info.encCredStoreState);
  return {
    entry,
    token: makePinUvAuthToken(pinProtocol(entry.protocol), bytes, PERM_PCMR),
    ...(keyId === undefined ? {} : { keyId }),
    ...(state ? { state: storeStateDigest(state) } : {}),
  };
}

/** The entry whose token decrypts this getInfo's encIdentifier to the identifier kept with it; pure. */
export function matchByIdentifier(info: AuthenticatorInfo, entries: readonly RememberedKey[]): RememberedKey | undefined {
  if (!info.encIdentifier) return undefined;
  return entries.find((e) => {
    if (e.keyId === undefined) return false;
    const id = decryptInfoMember(tokenBytes(e), 'encIdentifier', info.encIdentifier!);
    return id !== undefined && keyIdOf(id) === e.keyId;
  });
}

export type FindOutcome =
  | { kind: 'found'; remembered: RememberedToken }
  /** An entry for this key whose token the key no longer honours; already dropped. */
  | { kind: 'dropped' }
  | { kind: 'none' };

/** The remembered token for this key, if any; an entry proven stale is dropped from the store. */
export async function findRememberedToken(info: AuthenticatorInfo, hint: string, store: TokenStore): Promise<FindOutcome> {
  const entries = await store.load();
  const byId = matchByIdentifier(info, entries);
  if (byId) return { kind: 'found', remembered: withEntry(info, byId, byId.keyId) };
  const byHint = entries.find((e) => e.hint === hint);
  if (!byHint) return { kind: 'none' };
  // The key reports an identifier, but under another persistent token than ours: ours is dead.
  if (info.encIdentifier && byHint.keyId !== undefined) {
    await dropRemembered(store, byHint);
    return { kind: 'dropped' };
  }
  return { kind: 'found', remembered: withEntry(info, byHint) };
}

export async function dropRemembered(store: TokenStore, entry: RememberedKey): Promise<void> {
  await store.update((keys) => keys.filter((k) => k.token !== entry.token));
}

/** True for the key's refusal of a token (CTAP2_ERR_PIN_AUTH_INVALID), raw or explained. */
export function isTokenRejected(e: unknown): boolean {
  const raw = e instanceof Fido2Error && e.cause instanceof CtapError ? e.cause : e;
  return raw instanceof CtapError && raw.status === 0x33;
}

/**
 * Asks for the PIN once, obtains a persistent read-only token and keeps it for
 * this key (replacing an older one for the same key). Undefined for a key
 * without perCredMgmtRO: nothing is sent and nothing is kept.
 */
export async function rememberToken(key: KeyHandle, info: AuthenticatorInfo, auth: Authorizer, store: TokenStore, hint: string): Promise<RememberedToken | undefined> {
  if (!canRemember(info)) return undefined;
  // A store that cannot keep a secret is refused before the PIN is asked for.
  await store.load();
  // CTAP 2.3 §6.5.5.7: pcmr is asked for alone; the token is not spent by use and outlives power cycles.
  const token = await obtainToken(key, info, auth, PERM_PCMR);
  // The identifier is encrypted under the persistent token just issued, so read getInfo again.
  const after = await key.ctap.getInfo();
  const id = after.encIdentifier && decryptInfoMember(token.token, 'encIdentifier', after.encIdentifier);
  const keyId = id ? keyIdOf(id) : undefined;
  const entry: RememberedKey = {
    ...(keyId === undefined ? {} : { keyId }),
    hint,
    protocol: token.protocol.version,
    token: Buffer.from(token.token).toString('base64'),
    rememberedAt: new Date().toISOString(),
  };
  await store.update((keys) => [...keys.filter((k) => k.hint !== hint && (keyId === undefined || k.keyId !== keyId)), entry]);
  return withEntry(after, entry, keyId);
}

/** The cached full listing, filtered to `rpId`, when the key reports the same credential store state as when it was made. */
export function cachedListing(r: RememberedToken, rpId?: string): { listing: CredentialListing; listedAt: string } | undefined {
  const cache = r.entry.cache;
  if (r.state === undefined || cache === undefined || cache.state !== r.state) return undefined;
  const listing = decodeListing(cache.listing);
  return listing && { listing: filterListing(listing, rpId), listedAt: cache.listedAt };
}

/** Keeps a full listing made with this token, under the credential store state read before it was made. */
export async function cacheListing(store: TokenStore, r: RememberedToken, listing: CredentialListing): Promise<void> {
  if (r.state === undefined) return;
  const cache = { state: r.state, listedAt: new Date().toISOString(), listing: encodeListing(listing) };
  await store.update((keys) => keys.map((k) => (k.token === r.entry.token ? { ...k, cache } : k)));
}

/** Drops this key's remembered token; false when none was kept for it. */
export async function forgetToken(info: AuthenticatorInfo, hint: string, store: TokenStore): Promise<boolean> {
  const entries = await store.load();
  const entry = matchByIdentifier(info, entries) ?? entries.find((e) => e.hint === hint);
  if (!entry) return false;
  await dropRemembered(store, entry);
  return true;
}

/** The key's keyId when a kept token recognises it (no request is sent); the hook for identity and reset. */
export async function rememberedKeyId(info: AuthenticatorInfo, store: TokenStore): Promise<string | undefined> {
  return matchByIdentifier(info, await store.load())?.keyId;
}

/** What a kept token reads from getInfo's encrypted members, without sending anything. */
export interface DecryptedInfo {
  keyId: string;
  /** Whether the passkeys changed since the listing kept with the token; 'unknown' with no listing kept. */
  credStore?: { changed: boolean; listedAt: string } | 'unknown';
}

/** encIdentifier and encCredStoreState as a kept token decrypts them (CTAP 2.3 §6.4); undefined when no token recognises the key. */
export async function decryptedInfo(info: AuthenticatorInfo, store: TokenStore): Promise<DecryptedInfo | undefined> {
  const entry = matchByIdentifier(info, await store.load());
  if (entry?.keyId === undefined) return undefined;
  const { state } = withEntry(info, entry, entry.keyId);
  if (state === undefined) return { keyId: entry.keyId };
  const cache = entry.cache;
  return { keyId: entry.keyId, credStore: cache ? { changed: cache.state !== state, listedAt: cache.listedAt } : 'unknown' };
}
