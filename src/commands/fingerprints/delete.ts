/** `fingerprints delete <ID> [--yes]`: removeEnrollment, confirmed on a terminal, read back. */
import { Fido2Error } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';
import { authorisedBio, bio, describeTemplate, findTemplate, openBio, parseTemplateId, templateJson } from './support.js';

const NO_TERMINAL = 'Deleting a fingerprint cannot be undone; pass --yes to confirm when not on a terminal.';

export async function runFingerprintsDelete(idText: string, o: { yes?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = parseTemplateId(idText);
  if (!o.yes && !process.stdin.isTTY) {
    throw new Fido2Error('usage', NO_TERMINAL, { reason: 'confirmation-needed' });
  }
  await withSession(g, async (s) => {
    const b = await openBio(s);
    const enrolled = await authorisedBio(s, b, g, io);
    const before = await bio(() => enrolled.enumerateEnrollments());
    const target = findTemplate(before, id);
    if (!(await confirmOnTerminal(o.yes, `This deletes fingerprint ${describeTemplate(target)} from the key.`, NO_TERMINAL, { typeYes: true }))) {
      throw new Fido2Error('cancelled', 'Delete cancelled; nothing was changed.');
    }
    await bio(() => enrolled.removeEnrollment(id));
    const after = await bio(() => enrolled.enumerateEnrollments());
    if (after.some((t) => t.idHex === target.idHex)) {
      throw new Fido2Error('not-confirmed', `The key accepted the delete but still lists fingerprint ${target.idHex}.`);
    }
    const left = after.length === 0 ? ' No fingerprint is left: built-in user verification (--uv) is off until you add one.' : ` ${after.length} left.`;
    report(
      g.json,
      { device: s.label, deleted: templateJson(target), before: before.map(templateJson), after: after.map(templateJson) },
      `Deleted fingerprint ${describeTemplate(target)} (read back from the key).${left}`,
    );
  });
}
