import { Fido2Error } from '../../errors.js';
import { confirmOnTerminal } from '../terminal-question.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryToJson, passkeyToJson, rowsOf, usageLine, whose } from './inventory.js';
import { credentialArgument, keepAllBut, largeBlobKeyInfo, openBlobSession, readInventory, resolvePasskey, writeAndReadBack } from './support.js';

const IRREVERSIBLE = 'Deleting a large blob cannot be undone; pass --yes to confirm when not on a terminal. Nothing was changed.';

/**
 * `large-blobs delete --credential ID [--yes]`: removes every entry the
 * passkey's key opens, keeps everything else, and reads the array back.
 */
export async function runLargeBlobsDelete(o: { credential?: string; yes?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = credentialArgument(o.credential);
  // Refused before the PIN is asked for.
  if (!o.yes && !process.stdin.isTTY) throw new Fido2Error('usage', IRREVERSIBLE, { reason: 'confirmation-needed' });
  await withSession(g, async (s) => {
    const info = await largeBlobKeyInfo(s);
    const b = await openBlobSession(s, info, g, io, true);
    const owner = resolvePasskey(b.passkeys, id);
    const before = await readInventory(b);
    const rows = owner.credential.largeBlobKey === undefined ? [] : rowsOf(before, owner.credential.credentialId);
    if (rows.length === 0) {
      throw new Fido2Error('not-found', `There is no large blob for the passkey of ${whose(owner)}; nothing was changed.`, { reason: 'no-large-blob' });
    }
    const bytes = rows.reduce((n, r) => n + r.entry!.origSize, 0);
    const ok = await confirmOnTerminal(o.yes, `Delete the large blob (${bytes} bytes) of ${whose(owner)}? This cannot be undone.`, IRREVERSIBLE);
    if (!ok) throw new Fido2Error('cancelled', 'Not deleted; nothing was changed.');
    const after = await writeAndReadBack(b, keepAllBut(before, new Set(rows.map((r) => r.index))));
    if (rowsOf(after, owner.credential.credentialId).length > 0) {
      throw new Fido2Error('not-confirmed', `The key accepted the write but still holds a large blob of ${whose(owner)}; check with \`fido2-manage large-blobs list\`.`);
    }
    report(
      g.json,
      { device: s.label, deleted: { credential: passkeyToJson(owner), entries: rows.length, dataBytes: bytes }, before: inventoryToJson(before), after: inventoryToJson(after) },
      `Deleted the large blob of ${whose(owner)} (confirmed: the key no longer holds it; ${usageLine(after)}).`,
    );
  });
}
