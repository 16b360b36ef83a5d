import { credentialKeyInfo, keyStep } from '../../operations/credentials.js';
import { cacheListing, cachedListing } from '../../operations/remembered-token.js';
import { TokenStore } from '../../operations/token-store.js';
import type { GlobalOptions } from '../global-options.js';
import { notice, printJson, printLine, report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { listingToJson } from './credentials-support.js';
import { listingLines, summaryLine } from './format.js';
import { withReadToken } from './remembered.js';

/**
 * `credentials list [--rp ID] [--summary] [--remember]`: counts, then (unless
 * --summary) the passkeys grouped by site.
 * The whole listing runs on one key agreement and one token: the PIN's `cm`
 * token, or a persistent read-only one remembered for the key (--remember
 * keeps one); with that, an unchanged credential store state answers from the
 * cache kept beside the token.
 */
export async function runCredentialsList(o: { rp?: string; summary?: boolean; remember?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  await withSession(g, async (s) => {
    const info = await credentialKeyInfo(s);
    await withReadToken(s, info, g, io, o, async (cm, remembered) => {
      const keyId = remembered?.keyId === undefined ? {} : { keyId: remembered.keyId };
      if (o.summary) {
        const m = await keyStep(() => cm.metadata());
        report(g.json, { device: s.label, ...keyId, ctapCommand: cm.command, stored: m.existing, remaining: m.remaining }, summaryLine({ metadata: m, rps: [] }));
        return;
      }
      const cached = remembered && cachedListing(remembered, o.rp);
      // The key's own refusal (a token it no longer honours) must reach withReadToken unexplained.
      const listing = cached?.listing ?? (await (remembered ? cm.listAll(o.rp) : keyStep(() => cm.listAll(o.rp))));
      if (remembered && !cached && o.rp === undefined) await cacheListing(new TokenStore(), remembered, listing);
      const fromCache = cached ? { fromCache: true, listedAt: cached.listedAt } : {};
      if (g.json) {
        printJson({ ok: true, device: s.label, ...keyId, ctapCommand: cm.command, ...fromCache, ...(o.rp === undefined ? {} : { rpFilter: o.rp }), ...listingToJson(listing) });
        return;
      }
      if (cached) notice(`From the listing kept at ${cached.listedAt}: the key reports no change to its passkeys since.`);
      for (const line of listingLines(listing, o.rp)) printLine(line);
    });
  });
}
