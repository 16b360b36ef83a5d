import { Fido2Error } from '../../errors.js';
import { cleanLargeBlobs } from '../../operations/large-blobs.js';
import { cliAuthorizer } from '../authorize.js';
import { confirmOnTerminal } from '../terminal-question.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryToJson, usageLine } from './inventory.js';
import { announceDamage } from './support.js';

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
    const r = await cleanLargeBlobs(s, cliAuthorizer(g, io), {
      ...announceDamage,
      confirm: (t) =>
        confirmOnTerminal(
          o.yes,
          t.orphans.length > 0
            ? `Remove ${plural(t.orphans.length, 'orphaned large blob')} (${t.bytes} bytes) that no passkey on this key can open? This cannot be undone.`
            : 'Replace the damaged large-blob array with an empty one? This cannot be undone.',
          IRREVERSIBLE,
        ),
    });
    if (!r.changed) {
      report(g.json, { device: s.label, removed: 0, before: inventoryToJson(r.before), after: inventoryToJson(r.after) }, `Nothing to clean: every large blob belongs to a passkey on this key (${usageLine(r.before)}).`);
      return;
    }
    const what = r.orphans.length > 0 ? `Removed ${plural(r.orphans.length, 'orphaned large blob')} (${r.bytes} bytes)` : 'Replaced the damaged large-blob array with an empty one';
    report(
      g.json,
      { device: s.label, removed: r.orphans.length, ...(r.repair ? { repaired: true } : {}), before: inventoryToJson(r.before), after: inventoryToJson(r.after) },
      `${what}; read back from the key: ${plural(r.after.rows.length, 'large blob')} left, ${usageLine(r.after)}.`,
    );
  });
}
