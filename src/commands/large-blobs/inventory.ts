/**
 * Which passkey each large-blob entry belongs to, decided by trying every
 * passkey's largeBlobKey on it (the array itself names no owner, CTAP 2.1
 * §6.10.4), and how that is shown to people and scripts. Pure.
 *
 * CTAP gives largeBlobKeys to discoverable credentials only, and credential
 * management lists every one of those, so an entry no listed key opens
 * belongs to no passkey on this key: it is orphaned (its passkey was deleted).
 */
import { encodeCbor, type CborValue } from '../../ctap/cbor.js';
import { Fido2Error } from '../../errors.js';
import { findLargeBlobOwner, type ArrayDamage, type LargeBlobArray, type LargeBlobEntry } from '../../ctap/large-blobs.js';
import { b64url, type Located, uniquePrefixes } from '../credentials/credentials-support.js';

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

export function passkeyToJson(l: Located): Record<string, unknown> {
  const u = l.credential.user;
  return {
    credentialId: b64url(l.credential.credentialId),
    rp: l.rp.id,
    user: { ...(u.name === undefined ? {} : { name: u.name }), ...(u.displayName === undefined ? {} : { displayName: u.displayName }) },
  };
}

export function inventoryToJson(inv: Inventory): Record<string, unknown> {
  return {
    usedBytes: inv.usedBytes,
    maxSerializedLargeBlobArray: inv.limit,
    ...(inv.damage === undefined ? {} : { damage: inv.damage }),
    entries: inv.rows.map((r) => ({
      index: r.index,
      status: r.status,
      storedBytes: r.storedBytes,
      // origSize is authenticated only for the key that opens the entry, so it is shown for owned rows alone.
      ...(r.owner === undefined ? {} : { dataBytes: r.entry!.origSize, credential: passkeyToJson(r.owner) }),
    })),
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function whose(l: Located): string {
  const u = l.credential.user;
  const name = u.name ?? u.displayName ?? 'an unnamed user';
  const display = u.displayName !== undefined && u.displayName !== '' && u.displayName !== name ? ` (${u.displayName})` : '';
  return `${name}${display} at ${l.rp.id}`;
}

export function damageText(damage: ArrayDamage): string {
  const why = { 'too-short': 'it is shorter than an empty array', 'hash-mismatch': 'its checksum does not match', 'not-an-array': 'it is not a CBOR array' }[damage];
  return `The key's large-blob array is damaged (${why}); it reads as empty, as CTAP 2.1 §6.10.2 says, and the next write replaces it.`;
}

export function usageLine(inv: Inventory): string {
  return `${inv.usedBytes} of ${inv.limit} bytes used`;
}

/** `large-blobs list` for people: one line per element, ids shortened as `credentials list` shortens them. */
export function inventoryLines(inv: Inventory, passkeys: readonly Located[]): string[] {
  if (inv.rows.length === 0) return [`No large blobs stored (${usageLine(inv)}).`];
  const all = passkeys.map((p) => b64url(p.credential.credentialId));
  const short = new Map(all.map((id, i) => [id, uniquePrefixes(all)[i]!]));
  const lines = [`${plural(inv.rows.length, 'large blob')} stored, ${usageLine(inv)}.`, ''];
  for (const r of inv.rows) {
    const n = `${r.index + 1}.`.padEnd(4);
    if (r.status === 'owned') {
      const id = short.get(b64url(r.owner!.credential.credentialId));
      lines.push(`${n}${plural(r.entry!.origSize, 'byte')} for ${whose(r.owner!)}, passkey ${id} (${r.storedBytes} stored)`);
    } else if (r.status === 'orphaned') {
      lines.push(`${n}orphaned: ${r.storedBytes} bytes stored that no passkey on this key can open (\`large-blobs clean\` removes them)`);
    } else {
      lines.push(`${n}not a large-blob entry: ${r.storedBytes} bytes in a format this tool does not know, kept as they are`);
    }
  }
  const orphans = orphanedRows(inv).length;
  if (orphans > 0) lines.push('', `${plural(orphans, 'orphaned entry', 'orphaned entries')}: ${orphans === 1 ? 'its passkey is' : 'their passkeys are'} gone.`);
  return lines;
}
