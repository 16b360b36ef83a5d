/**
 * Passkeys on a key (credential management, CTAP 2.1 §6.8): count, list,
 * delete and rename them with one `cm` token per operation. A passkey is named
 * by id or unique id prefix, resolved against the key's own listing before
 * anything changes; every change is read back.
 */
import { CredentialManagement, credentialManagementCommand, type CredentialListing, type CredsMetadata, type StoredCredential, type RelyingParty } from '../ctap/credential-management.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_CM } from '../ctap/permissions.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import { b64url, checkCredentialRef, type CredentialRef, flatten, type Located, resolveCredential } from './credential-ids.js';
import { explain } from './explain.js';
import type { KeyHandle } from './key-handle.js';
import { obtainToken } from './token.js';

const NO_CRED_MGMT = 'This key has no credential management (it speaks CTAP 2.0 or only U2F), so it cannot list, delete or rename passkeys.';

/** getInfo of a key that speaks CBOR; `unsupported` (exit 5) from a U2F key that refuses it. */
export async function cborKeyInfo(key: KeyHandle, unsupported: () => Fido2Error): Promise<AuthenticatorInfo> {
  if (!key.device.capabilities.cbor) throw unsupported();
  try {
    return await key.ctap.getInfo();
  } catch (e) {
    // A U2F key that sets the CBOR bit but refuses getInfo.
    if (e instanceof CtapError && e.status === 0x01) throw unsupported();
    throw e;
  }
}

/** getInfo, or `unsupported` for a key that cannot manage credentials (U2F-only, CTAP 2.0). */
export async function credentialKeyInfo(key: KeyHandle): Promise<AuthenticatorInfo> {
  const info = await cborKeyInfo(key, () => new Fido2Error('unsupported', NO_CRED_MGMT));
  if (credentialManagementCommand(info) === undefined) throw new Fido2Error('unsupported', NO_CRED_MGMT);
  return info;
}

/** One token with the `cm` permission (getPinToken on keys without permission tokens) for the whole operation. */
export async function openCredentialManagement(key: KeyHandle, info: AuthenticatorInfo, auth: Authorizer): Promise<CredentialManagement> {
  return new CredentialManagement(key.ctap, info, await obtainToken(key, info, auth, PERM_CM));
}

/** Runs one step against the key and words its refusal for people. */
export async function keyStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw explain(e);
  }
}

async function open(key: KeyHandle, auth: Authorizer): Promise<CredentialManagement> {
  return openCredentialManagement(key, await credentialKeyInfo(key), auth);
}

export interface CredentialsMetadataResult {
  /** The command the key answered: 0x0A (credMgmt) or 0x41 (the 2.1-PRE preview). */
  ctapCommand: number;
  metadata: CredsMetadata;
}

/** How many passkeys are stored and how many more fit. */
export async function credentialsMetadata(key: KeyHandle, auth: Authorizer): Promise<CredentialsMetadataResult> {
  const cm = await open(key, auth);
  return { ctapCommand: cm.command, metadata: await keyStep(() => cm.metadata()) };
}

export interface CredentialsListResult {
  ctapCommand: number;
  listing: CredentialListing;
}

/** Every passkey (or those of one RP ID), grouped by site, on one key agreement and one token. */
export async function listCredentials(key: KeyHandle, auth: Authorizer, opts: { rpId?: string } = {}): Promise<CredentialsListResult> {
  const cm = await open(key, auth);
  return { ctapCommand: cm.command, listing: await keyStep(() => cm.listAll(opts.rpId)) };
}

/** The one passkey `ref` names (id bytes, base64url id or a unique start of it). */
export async function findCredential(key: KeyHandle, auth: Authorizer, ref: CredentialRef): Promise<Located> {
  const id = checkCredentialRef(ref);
  const cm = await open(key, auth);
  return resolveCredential(flatten(await keyStep(() => cm.listAll())), id);
}

export interface DeleteCredentialResult {
  deleted: Located;
  /** The listings read from the key before and after. */
  before: CredentialListing;
  after: CredentialListing;
}

/**
 * Deletes one passkey for good. `confirm` is asked once the passkey is known
 * and before anything changes; false cancels (kind `cancelled`). Read back:
 * the key must no longer list it.
 */
export async function deleteCredential(
  key: KeyHandle,
  auth: Authorizer,
  ref: CredentialRef,
  opts: { confirm?: (target: Located) => boolean | Promise<boolean> } = {},
): Promise<DeleteCredentialResult> {
  const id = checkCredentialRef(ref);
  const cm = await open(key, auth);
  const before = await keyStep(() => cm.listAll());
  const target = resolveCredential(flatten(before), id);
  if (opts.confirm !== undefined && !(await opts.confirm(target))) throw new Fido2Error('cancelled', 'Not deleted; nothing was changed.');
  await keyStep(() => cm.delete(target.credential.credentialId));
  const after = await keyStep(() => cm.listAll());
  const fullId = b64url(target.credential.credentialId);
  if (flatten(after).some((l) => b64url(l.credential.credentialId) === fullId)) {
    throw new Fido2Error('not-confirmed', `The key accepted the delete but still lists the passkey ${fullId}; check with \`fido2-manage credentials list\`.`);
  }
  return { deleted: target, before, after };
}

/** The user names to store; one left out is kept as it is. */
export interface UserNames {
  name?: string;
  displayName?: string;
  /** The stored user id, if given: it must match (a passkey's user id cannot change). */
  id?: Uint8Array;
}

/** WebAuthn §6.4.1: keys may truncate at 64 bytes; longer names would not read back as given. */
const MAX_NAME_BYTES = 64;

function checkName(field: string, value: string | undefined): void {
  // The key drops a name sent empty (§6.8.6 replaces the user entity): "" would erase it, not rename it.
  if (value !== undefined && value.trim() === '') {
    throw new Fido2Error('usage', `${field} is empty; give the new name (credentials update cannot remove a name).`, { reason: 'empty-name' });
  }
  if (value !== undefined && Buffer.byteLength(value) > MAX_NAME_BYTES) {
    throw new Fido2Error('usage', `${field} is ${Buffer.byteLength(value)} bytes; keys keep at most ${MAX_NAME_BYTES}. Give a shorter one.`);
  }
}

/** Local checks of an update, before the PIN is asked for; `fields` names the options in messages. */
export function checkUserNames(names: UserNames, fields: { name: string; displayName: string } = { name: 'name', displayName: 'displayName' }): void {
  if (names.name === undefined && names.displayName === undefined) {
    throw new Fido2Error('usage', `Nothing to change: give ${fields.name} and/or ${fields.displayName}.`);
  }
  checkName(fields.name, names.name);
  checkName(fields.displayName, names.displayName);
}

export interface UpdateCredentialResult {
  rp: RelyingParty;
  /** The passkey as listed before and as read back after. */
  before: StoredCredential;
  after: StoredCredential;
}

/**
 * Renames the user of one passkey (CTAP 2.1 keys, not the 0x41 preview). The
 * key replaces both names and drops an absent one (§6.8.6), so the one not
 * given is sent as it is now; the user id is kept. Read back from the key.
 */
export async function updateCredentialUser(
  key: KeyHandle,
  auth: Authorizer,
  ref: CredentialRef,
  names: UserNames,
  opts: { fields?: { name: string; displayName: string } } = {},
): Promise<UpdateCredentialResult> {
  const id = checkCredentialRef(ref);
  checkUserNames(names, opts.fields);
  const cm = await open(key, auth);
  if (!cm.canUpdateUser) {
    throw new Fido2Error('unsupported', 'This key only has the credential management preview (FIDO 2.1-PRE), which cannot rename a passkey; nothing was changed.');
  }
  const target = resolveCredential(flatten(await keyStep(() => cm.listAll(undefined))), id);
  const before = target.credential.user;
  if (names.id !== undefined && b64url(names.id) !== b64url(before.id)) {
    throw new Fido2Error('usage', "A passkey's user id cannot be changed; give the stored one or none. Nothing was changed.", { reason: 'user-id-mismatch' });
  }
  const wanted = {
    id: before.id,
    ...((names.name ?? before.name) === undefined ? {} : { name: names.name ?? before.name }),
    ...((names.displayName ?? before.displayName) === undefined ? {} : { displayName: names.displayName ?? before.displayName }),
  };
  await keyStep(() => cm.updateUser(target.credential.credentialId, wanted));
  const fullId = b64url(target.credential.credentialId);
  const again = flatten(await keyStep(() => cm.listAll(target.rp.id))).find((l) => b64url(l.credential.credentialId) === fullId);
  const after = again?.credential.user;
  const same = (a: string | undefined, b: string | undefined): boolean => (a ?? '') === (b ?? '');
  if (after === undefined || b64url(after.id) !== b64url(before.id) || !same(after.name, wanted.name) || !same(after.displayName, wanted.displayName)) {
    throw new Fido2Error('not-confirmed', `The key accepted the change but does not read back the new names for ${fullId}; check with \`fido2-manage credentials list\`.`);
  }
  return { rp: target.rp, before: target.credential, after: again!.credential };
}
