import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { credentialKeyInfo, keyStep, listingToJson, openCredentialManagement } from './credentials-support.js';
import { listingLines } from './format.js';

/**
 * `credentials list [--rp ID]`: counts, then the passkeys grouped by site.
 * The whole listing runs on one key agreement and one `cm` token.
 */
export async function runCredentialsList(o: { rp?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await credentialKeyInfo(s);
    const cm = await openCredentialManagement(s, info, g, io);
    const listing = await keyStep(() => cm.listAll(o.rp));
    if (g.json) {
      printJson({ ok: true, device: s.label, command: cm.command, ...(o.rp === undefined ? {} : { rpFilter: o.rp }), ...listingToJson(listing) });
      return;
    }
    for (const line of listingLines(listing, o.rp)) printLine(line);
  });
}
