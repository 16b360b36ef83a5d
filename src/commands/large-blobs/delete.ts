import { Fido2Error } from '../../errors.js';
import { deleteLargeBlob } from '../../operations/large-blobs.js';
import { cliAuthorizer } from '../authorize.js';
import { confirmOnTerminal } from '../terminal-question.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryToJson, passkeyToJson, usageLine, whose } from './inventory.js';
import { announceDamage, credentialArgument } from './support.js';

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
    const r = await deleteLargeBlob(s, cliAuthorizer(g, io), id, {
      ...announceDamage,
      confirm: (t) => confirmOnTerminal(o.yes, `Delete the large blob (${t.dataBytes} bytes) of ${whose(t.owner)}? This cannot be undone.`, IRREVERSIBLE),
    });
    report(
      g.json,
      { device: s.label, deleted: { credential: passkeyToJson(r.owner), entries: r.rows.length, dataBytes: r.dataBytes }, before: inventoryToJson(r.before), after: inventoryToJson(r.after) },
      `Deleted the large blob of ${whose(r.owner)} (confirmed: the key no longer holds it; ${usageLine(r.after)}).`,
    );
  });
}
