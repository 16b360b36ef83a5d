/** `fingerprints rename <ID> <NAME>`: setFriendlyName, read back from the key. */
import { parseTemplateId, renameFingerprint } from '../../operations/fingerprints.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { templateJson } from './support.js';

export async function runFingerprintsRename(idText: string, name: string, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = parseTemplateId(idText);
  await withSession(g, async (s) => {
    const { before, after } = await renameFingerprint(s, cliAuthorizer(g, io), id, name);
    report(g.json, { device: s.label, before: templateJson(before), after: templateJson(after) }, `Fingerprint ${after.idHex} is now named "${name}" (read back from the key).`);
  });
}
