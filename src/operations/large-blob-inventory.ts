/**
 * Which passkey each large-blob entry belongs to, decided by trying every
 * passkey's largeBlobKey on it (the array itself names no owner, CTAP 2.1
 * §6.10.4). Pure; how it is shown lives in src/commands/large-blobs/inventory.ts.
 *
 * CTAP gives largeBlobKeys to discoverable credentials only, and credential
 * management lists every one of those, so an entry no listed key opens
 * belongs to no passkey on this key: it is orphaned (its passkey was deleted).
 */
import { encodeCbor, type CborValue } from '../ctap/cbor.js';
import { Fido2Error } from '../errors.js';
import { findLargeBlobOwner, type ArrayDamage, type LargeBlobArray, type LargeBlobEntry } from '../ctap/large-blobs.js';
import { b64url, type Located } from './credential-ids.js';

export type BlobStatus =
  /** A passkey on the key opens it. */
  | 'owned'
  /** A large-blob map no passkey on the key opens. */
  | 'orphaned'
  /** An element that is not a large-blob map: kept as it is, never removed by `clean`. */
  | 'other';

export interface BlobRow {
  /** Position in the array, from 0. */
  index: number;
  status: BlobStatus;
  /** Bytes the element takes in the stored array. */
  storedBytes: number;
  /** The element as read, written back unchanged when it is kept. */
  raw: CborValue;
  /** The entry itself, for owned and orphaned rows. */
  entry?: LargeBlobEntry;
  /** The passkey that opens it (owned rows). */
  owner?: Located;
}

export interface Inventory {
  rows: BlobRow[];
  /** Bytes of the serialized array as stored. */
  usedBytes: number;
  /** maxSerializedLargeBlobArray. */
  limit: number;
  damage?: ArrayDamage;
}

/**
 * The bytes an element takes when written back. The client reads leniently, so
 * an element could hold what CTAP never writes (a float); such an array is
 * reported rather than rewritten differently.
 */
function encodedLength(raw: CborValue, index: number): number {
  try {
    return encodeCbor(raw).length;
  } catch (e) {
    throw new Fido2Error('key-error', `Element ${index + 1} of the key's large-blob array holds a value CTAP never writes (${e instanceof Error ? e.message : String(e)}); this tool leaves such an array alone.`, { cause: e, reason: 'large-blob-element' });
  }
}

export function takeInventory(array: LargeBlobArray, passkeys: readonly Located[], limit: number): Inventory {
  const withKeys = passkeys.filter((p) => p.credential.largeBlobKey !== undefined);
  const keys = withKeys.map((p) => p.credential.largeBlobKey!);
  const rows = array.items.map((item, index): BlobRow => {
    const base = { index, storedBytes: encodedLength(item.raw, index), raw: item.raw };
    if (item.entry === undefined) return { ...base, status: 'other' };
    const owner = findLargeBlobOwner(item.entry, keys);
    return owner < 0 ? { ...base, status: 'orphaned', entry: item.entry } : { ...base, status: 'owned', entry: item.entry, owner: withKeys[owner]! };
  });
  return { rows, usedBytes: array.serialized.length, limit, ...(array.damage === undefined ? {} : { damage: array.damage }) };
}

/** The rows a passkey owns (more than one when some platform appended instead of replacing). */
export function rowsOf(inventory: Inventory, credentialId: Uint8Array): BlobRow[] {
  const id = b64url(credentialId);
  return inventory.rows.filter((r) => r.owner !== undefined && b64url(r.owner.credential.credentialId) === id);
}

export const orphanedRows = (inventory: Inventory): BlobRow[] => inventory.rows.filter((r) => r.status === 'orphaned');

/** The elements of `inv` minus the rows at `drop` (by index), as they were read. */
export function keepAllBut(inv: Inventory, drop: ReadonlySet<number>): CborValue[] {
  return inv.rows.filter((r) => !drop.has(r.index)).map((r) => r.raw);
}
