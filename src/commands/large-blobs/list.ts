import { listLargeBlobs } from '../../operations/large-blobs.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryLines, inventoryToJson } from './inventory.js';
import { announceDamage } from './support.js';

/**
 * `large-blobs list`: every element of the key's large-blob array, its size
 * and the passkey that owns it (the one whose largeBlobKey opens it), or
 * "orphaned" when no passkey on the key does. One PIN entry, one `cm` token.
 */
export async function runLargeBlobsList(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const { inventory, passkeys } = await listLargeBlobs(s, cliAuthorizer(g, io), announceDamage);
    if (g.json) {
      printJson({ ok: true, device: s.label, ...inventoryToJson(inventory) });
      return;
    }
    for (const line of inventoryLines(inventory, passkeys)) printLine(line);
  });
}
