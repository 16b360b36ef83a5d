/**
 * Large blobs (CTAP 2.1 §6.10): per-passkey data in one array on the key.
 * Every operation gets one token (`cm` to list the passkeys and their
 * largeBlobKeys, plus `lbw` when it writes: one PIN entry), reads the array,
 * names each entry's owner (large-blob-inventory.ts), and after a write reads
 * it back. A write that cannot fit is refused before anything is sent.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual } from '../ctap/bytes.js';
import type { CborValue } from '../ctap/cbor.js';
import type { PinUvAuthToken } from '../ctap/client-pin.js';
import { CredentialManagement, credentialManagementCommand } from '../ctap/credential-management.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import {
  type ArrayDamage,
  inflateLargeBlob,
  decryptLargeBlob,
  LARGE_BLOB_KEY_LENGTH,
  largeBlobEntryToCbor,
  LargeBlobError,
  LargeBlobs,
  MAX_ORIG_SIZE,
  openLargeBlob,
  sealLargeBlob,
  serializeLargeBlobArray,
  supportsLargeBlobs,
  tooLargeError,
} from '../ctap/large-blobs.js';
import { PERM_CM, PERM_LBW } from '../ctap/permissions.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import { checkCredentialRef, type CredentialRef, flatten, type Located, resolveCredential, whose } from './credential-ids.js';
import { cborKeyInfo, keyStep } from './credentials.js';
import type { KeyHandle } from './key-handle.js';
import { type BlobRow, type Inventory, keepAllBut, orphanedRows, rowsOf, takeInventory } from './large-blob-inventory.js';
import { obtainToken } from './token.js';

const noBlobs = (versions: string): LargeBlobError =>
  new LargeBlobError('unsupported', `This key has no large-blob storage: it does not offer CTAP 2.1 authenticatorLargeBlobs (versions: ${versions}).`);

/** getInfo, or `unsupported` for a key without large blobs (CTAP 2.0, 2.1-PRE, U2F-only) or without credential management. */
export async function largeBlobKeyInfo(key: KeyHandle): Promise<AuthenticatorInfo> {
  const info = await cborKeyInfo(key, () => noBlobs('U2F only'));
  if (!supportsLargeBlobs(info)) throw noBlobs(info.versions.join(', '));
  if (credentialManagementCommand(info) === undefined) {
    throw new Fido2Error('unsupported', 'This key stores large blobs but has no credential management, so it cannot tell which passkey owns which blob.');
  }
  return info;
}

/** What every large-blob operation may be told about. */
export interface LargeBlobOptions {
  /** The array read first is damaged: it reads as empty (§6.10.2) and the next write replaces it. */
  onDamage?: (damage: ArrayDamage) => void;
}

/** One key's large blobs and passkeys, opened with one token for the whole operation. */
interface BlobSession {
  lb: LargeBlobs;
  token: PinUvAuthToken;
  passkeys: Located[];
}

async function openBlobSession(key: KeyHandle, info: AuthenticatorInfo, auth: Authorizer, write: boolean, lb = new LargeBlobs(key.ctap, info)): Promise<BlobSession> {
  const token = await obtainToken(key, info, auth, write ? PERM_CM | PERM_LBW : PERM_CM);
  const cm = new CredentialManagement(key.ctap, info, token);
  return { lb, token, passkeys: flatten(await keyStep(() => cm.listAll())) };
}

/** Reads the array (no token needed) and names each entry's owner. */
async function readInventory(b: BlobSession, opts: LargeBlobOptions = {}): Promise<Inventory> {
  const inv = takeInventory(await keyStep(() => b.lb.read()), b.passkeys, b.lb.maxSerializedLength);
  if (inv.damage !== undefined) opts.onDamage?.(inv.damage);
  return inv;
}

/** Replaces the array with `items`, then reads it back for the `after` state. */
async function writeAndReadBack(b: BlobSession, items: readonly CborValue[]): Promise<Inventory> {
  await keyStep(() => b.lb.write(items, b.token));
  return readInventory(b);
}

async function session(key: KeyHandle, auth: Authorizer, write: boolean): Promise<BlobSession> {
  return openBlobSession(key, await largeBlobKeyInfo(key), auth, write);
}

export interface LargeBlobListResult {
  /** Every element of the array with its owner, orphaned, or of another format. */
  inventory: Inventory;
  /** The passkeys on the key (their largeBlobKeys named the owners). */
  passkeys: Located[];
}

/** Every element of the key's large-blob array and the passkey that owns it. */
export async function listLargeBlobs(key: KeyHandle, auth: Authorizer, opts: LargeBlobOptions = {}): Promise<LargeBlobListResult> {
  const b = await session(key, auth, false);
  return { inventory: await readInventory(b, opts), passkeys: b.passkeys };
}

export interface LargeBlobGetResult {
  owner: Located;
  data: Uint8Array;
}

/**
 * The data of the passkey's entry (the first one its key opens, as platforms
 * read it). `not-found` when the passkey has no largeBlobKey or no entry.
 */
export async function getLargeBlob(key: KeyHandle, auth: Authorizer, ref: CredentialRef, opts: LargeBlobOptions = {}): Promise<LargeBlobGetResult> {
  const id = checkCredentialRef(ref);
  const b = await session(key, auth, false);
  const owner = resolveCredential(b.passkeys, id);
  const lbk = owner.credential.largeBlobKey;
  if (lbk === undefined) {
    throw new Fido2Error('not-found', `The passkey of ${whose(owner)} was made without a largeBlobKey, so it has no large blob.`, { reason: 'no-large-blob-key' });
  }
  const row = rowsOf(await readInventory(b, opts), owner.credential.credentialId)[0];
  if (row === undefined) throw new Fido2Error('not-found', `There is no large blob for the passkey of ${whose(owner)}.`, { reason: 'no-large-blob' });
  return { owner, data: inflateLargeBlob(decryptLargeBlob(lbk, row.entry!)!, row.entry!.origSize) };
}

export interface LargeBlobChange {
  /** The array as read before and as read back after. */
  before: Inventory;
  after: Inventory;
}

export interface LargeBlobSetResult extends LargeBlobChange {
  owner: Located;
  dataBytes: number;
  /** Earlier entries of the same passkey that the new one replaced. */
  replaced: number;
}

/** Refuses data that could not fit even as the only entry, before the PIN is asked for. */
function checkFits(lb: LargeBlobs, data: Uint8Array): void {
  if (data.length > MAX_ORIG_SIZE) throw new LargeBlobError('too-large', `The data is ${data.length} bytes, far beyond what a key stores (this one: ${lb.maxSerializedLength}); nothing was sent.`);
  // The sealed size does not depend on the key, so any key tells whether the entry alone fits.
  const alone = serializeLargeBlobArray([largeBlobEntryToCbor(sealLargeBlob(randomBytes(LARGE_BLOB_KEY_LENGTH), data))]).length;
  if (alone > lb.maxSerializedLength) throw tooLargeError(alone, lb.maxSerializedLength);
}

/**
 * The passkey's entry becomes `data`: earlier entries of the same passkey are
 * removed, other elements kept in order, and the result is read back.
 */
export async function setLargeBlob(key: KeyHandle, auth: Authorizer, ref: CredentialRef, data: Uint8Array, opts: LargeBlobOptions = {}): Promise<LargeBlobSetResult> {
  const id = checkCredentialRef(ref);
  const info = await largeBlobKeyInfo(key);
  const lb = new LargeBlobs(key.ctap, info);
  checkFits(lb, data);
  const b = await openBlobSession(key, info, auth, true, lb);
  const owner = resolveCredential(b.passkeys, id);
  const lbk = owner.credential.largeBlobKey;
  if (lbk === undefined) {
    throw new Fido2Error('unsupported', `The passkey of ${whose(owner)} was made without a largeBlobKey, so no large blob can be stored for it; nothing was changed.`, { reason: 'no-large-blob-key' });
  }
  const before = await readInventory(b, opts);
  const earlier = rowsOf(before, owner.credential.credentialId);
  const after = await writeAndReadBack(b, [...keepAllBut(before, new Set(earlier.map((r) => r.index))), largeBlobEntryToCbor(sealLargeBlob(lbk, data))]);
  const stored = rowsOf(after, owner.credential.credentialId);
  const back = stored.length === 1 ? openLargeBlob(lbk, stored[0]!.entry!) : undefined;
  if (back === undefined || !bytesEqual(back, data)) {
    throw new Fido2Error('not-confirmed', `The key accepted the write, but the large blob of ${whose(owner)} does not read back as written; check with \`fido2-manage large-blobs list\`.`);
  }
  return { owner, dataBytes: data.length, replaced: earlier.length, before, after };
}

/** What a delete is about to remove, for `confirm`. */
export interface LargeBlobDeleteTarget {
  owner: Located;
  rows: BlobRow[];
  /** The data's size, summed over the passkey's entries. */
  dataBytes: number;
}

export type LargeBlobDeleteResult = LargeBlobChange & LargeBlobDeleteTarget;

/**
 * Removes every entry the passkey's key opens and keeps everything else.
 * `not-found` when it has none (nothing is written then); `confirm` is asked
 * before the write, false cancels.
 */
export async function deleteLargeBlob(
  key: KeyHandle,
  auth: Authorizer,
  ref: CredentialRef,
  opts: LargeBlobOptions & { confirm?: (target: LargeBlobDeleteTarget) => boolean | Promise<boolean> } = {},
): Promise<LargeBlobDeleteResult> {
  const id = checkCredentialRef(ref);
  const b = await session(key, auth, true);
  const owner = resolveCredential(b.passkeys, id);
  const before = await readInventory(b, opts);
  const rows = owner.credential.largeBlobKey === undefined ? [] : rowsOf(before, owner.credential.credentialId);
  if (rows.length === 0) {
    throw new Fido2Error('not-found', `There is no large blob for the passkey of ${whose(owner)}; nothing was changed.`, { reason: 'no-large-blob' });
  }
  const target = { owner, rows, dataBytes: rows.reduce((n, r) => n + r.entry!.origSize, 0) };
  if (opts.confirm !== undefined && !(await opts.confirm(target))) throw new Fido2Error('cancelled', 'Not deleted; nothing was changed.');
  const after = await writeAndReadBack(b, keepAllBut(before, new Set(rows.map((r) => r.index))));
  if (rowsOf(after, owner.credential.credentialId).length > 0) {
    throw new Fido2Error('not-confirmed', `The key accepted the write but still holds a large blob of ${whose(owner)}; check with \`fido2-manage large-blobs list\`.`);
  }
  return { ...target, before, after };
}

/** What a clean is about to remove, for `confirm`. */
export interface LargeBlobCleanTarget {
  /** Entries no passkey on the key opens. */
  orphans: BlobRow[];
  /** Their stored size. */
  bytes: number;
  /** The array is damaged and will be replaced. */
  repair: boolean;
}

export type LargeBlobCleanResult = LargeBlobChange & LargeBlobCleanTarget & { changed: boolean };

/**
 * Removes the entries no passkey on the key can open (their passkeys were
 * deleted) and keeps everything else, including elements of formats this tool
 * does not know; a damaged array is replaced by an empty one. Nothing to do:
 * nothing is written (`changed` false). `confirm` is asked before the write.
 */
export async function cleanLargeBlobs(
  key: KeyHandle,
  auth: Authorizer,
  opts: LargeBlobOptions & { confirm?: (target: LargeBlobCleanTarget) => boolean | Promise<boolean> } = {},
): Promise<LargeBlobCleanResult> {
  const b = await session(key, auth, true);
  const before = await readInventory(b, opts);
  const orphans = orphanedRows(before);
  const target = { orphans, bytes: orphans.reduce((n, r) => n + r.storedBytes, 0), repair: before.damage !== undefined };
  if (orphans.length === 0 && !target.repair) return { ...target, changed: false, before, after: before };
  if (opts.confirm !== undefined && !(await opts.confirm(target))) throw new Fido2Error('cancelled', 'Not cleaned; nothing was changed.');
  const after = await writeAndReadBack(b, keepAllBut(before, new Set(orphans.map((r) => r.index))));
  if (orphanedRows(after).length > 0 || after.damage !== undefined) {
    throw new Fido2Error('not-confirmed', 'The key accepted the write but its large-blob array does not read back clean; check with `fido2-manage large-blobs list`.');
  }
  return { ...target, changed: true, before, after };
}
