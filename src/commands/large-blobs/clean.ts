import { Fido2Error } from '../../errors.js';
import { confirmOnTerminal } from '../terminal-question.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryToJson, orphanedRows, usageLine } from './inventory.js';
import { keepAllBut, largeBlobKeyInfo, openBlobSession, readInventory, writeAndReadBack } from './support.js';

const IRREVERSIBLE = 'Removing large blobs cannot be undone; pass --yes to confirm when not on a terminal. Nothing was changed.';
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * `large-blobs clean [--yes]`: removes the entries no passkey on the key can
 * open (their passkeys were deleted) and keeps everything else, including
 * elements in formats this tool does not know. A damaged array (which reads
 * as empty, CTAP 2.1 §6.10.2) is replaced by an empty one.
 */
export async function runLargeBlobsClean(o: { yes?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  if (!o.yes && !process.stdin.isTTY) throw new Fido2Error('usage', IRREVERSIBLE, { reason: 'confirmation-needed' });
  await withSession(g, async (s) => {
    const info = await largeBlobKeyInfo(s);
    const b = await openBlobSession(s, info, g, io, true);
    const before = await readInventory(b);
    const orphans = orphanedRows(before);
    if (orphans.length === 0 && before.damage === undefined) {
      report(g.json, { device: s.label, removed: 0, before: inventoryToJson(before), after: inventoryToJson(before) }, `Nothing to clean: every large blob belongs to a passkey on this key (${usageLine(before)}).`);
      return;
    }
    const bytes = orphans.reduce((n, r) => n + r.storedBytes, 0);
    const question =
      orphans.length > 0
        ? `Remove ${plural(orphans.length, 'orphaned large blob')} (${bytes} bytes) that no passkey on this key can open? This cannot be undone.`
        : 'Replace the damaged large-blob array with an empty one? This cannot be undone.';
    const ok = await confirmOnTerminal(o.yes, question, IRREVERSIBLE);
    if (!ok) throw new Fido2Error('cancelled', 'Not cleaned; nothing was changed.');
    const after = await writeAndReadBack(b, keepAllBut(before, new Set(orphans.map((r) => r.index))));
    if (orphanedRows(after).length > 0 || after.damage !== undefined) {
      throw new Fido2Error('not-confirmed', 'The key accepted the write but its large-blob array does not read back clean; check with `fido2-manage large-blobs list`.');
    }
    const what = orphans.length > 0 ? `Removed ${plural(orphans.length, 'orphaned large blob')} (${bytes} bytes)` : 'Replaced the damaged large-blob array with an empty one';
    report(
      g.json,
      { device: s.label, removed: orphans.length, ...(before.damage === undefined ? {} : { repaired: true }), before: inventoryToJson(before), after: inventoryToJson(after) },
      `${what}; read back from the key: ${plural(after.rows.length, 'large blob')} left, ${usageLine(after)}.`,
    );
  });
}
