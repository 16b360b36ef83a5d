import { credentialsMetadata, listCredentials } from '../../operations/credentials.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine, report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { listingToJson } from './credentials-support.js';
import { listingLines, summaryLine } from './format.js';

/**
 * `credentials list [--rp ID] [--summary]`: counts, then (unless --summary)
 * the passkeys grouped by site.
 * The whole listing runs on one key agreement and one `cm` token.
 */
export async function runCredentialsList(o: { rp?: string; summary?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const auth = cliAuthorizer(g, io);
    if (o.summary) {
      const { ctapCommand, metadata: m } = await credentialsMetadata(s, auth);
      report(g.json, { device: s.label, ctapCommand, stored: m.existing, remaining: m.remaining }, summaryLine({ metadata: m, rps: [] }));
      return;
    }
    const { ctapCommand, listing } = await listCredentials(s, auth, o.rp === undefined ? {} : { rpId: o.rp });
    if (g.json) {
      printJson({ ok: true, device: s.label, ctapCommand, ...(o.rp === undefined ? {} : { rpFilter: o.rp }), ...listingToJson(listing) });
      return;
    }
    for (const line of listingLines(listing, o.rp)) printLine(line);
  });
}
