/**
 * How the large-blob inventory (src/operations/large-blob-inventory.ts: which
 * passkey owns each entry) is shown to people and scripts. Pure.
 */
import type { ArrayDamage } from '../../ctap/large-blobs.js';
import { b64url, type Located, uniquePrefixes, whose } from '../../operations/credential-ids.js';
import { type Inventory, orphanedRows } from '../../operations/large-blob-inventory.js';

export { type BlobRow, type BlobStatus, type Inventory, keepAllBut, orphanedRows, rowsOf, takeInventory } from '../../operations/large-blob-inventory.js';
export { whose } from '../../operations/credential-ids.js';

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
