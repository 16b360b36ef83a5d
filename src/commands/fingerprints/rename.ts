/** `fingerprints rename <ID> <NAME>`: setFriendlyName, read back from the key. */
import { Fido2Error } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { authorisedBio, bio, checkName, findTemplate, openBio, parseTemplateId, sensorInfo, templateJson } from './support.js';

export async function runFingerprintsRename(idText: string, name: string, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = parseTemplateId(idText);
  await withSession(g, async (s) => {
    const b = await openBio(s);
    checkName(name, await sensorInfo(b));
    const enrolled = await authorisedBio(s, b, g, io);
    const before = findTemplate(await bio(() => enrolled.enumerateEnrollments()), id);
    await bio(() => enrolled.setFriendlyName(id, name));
    const after = findTemplate(await bio(() => enrolled.enumerateEnrollments()), id);
    if (after.name !== name) {
      throw new Fido2Error('not-confirmed', `The key accepted the new name but reads back ${after.name === undefined ? 'no name' : `"${after.name}"`} for ${after.idHex}.`);
    }
    report(g.json, { device: s.label, before: templateJson(before), after: templateJson(after) }, `Fingerprint ${after.idHex} is now named "${name}" (read back from the key).`);
  });
}
