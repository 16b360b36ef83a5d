import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryLines, inventoryToJson } from './inventory.js';
import { largeBlobKeyInfo, openBlobSession, readInventory } from './support.js';

/**
 * `large-blobs list`: every element of the key's large-blob array, its size
 * and the passkey that owns it (the one whose largeBlobKey opens it), or
 * "orphaned" when no passkey on the key does. One PIN entry, one `cm` token.
 */
export async function runLargeBlobsList(g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await largeBlobKeyInfo(s);
    const b = await openBlobSession(s, info, g, io, false);
    const inv = await readInventory(b);
    if (g.json) {
      printJson({ ok: true, device: s.label, ...inventoryToJson(inv) });
      return;
    }
    for (const line of inventoryLines(inv, b.passkeys)) printLine(line);
  });
}
