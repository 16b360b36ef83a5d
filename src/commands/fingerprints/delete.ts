/** `fingerprints delete <ID> [--yes]`: removeEnrollment, confirmed on a terminal, read back. */
import type { Template } from '../../ctap/bio-enrollment.js';
import { Fido2Error } from '../../errors.js';
import { deleteFingerprint, parseTemplateId } from '../../operations/fingerprints.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';
import { describeTemplate, templateJson } from './support.js';

const NO_TERMINAL = 'Deleting a fingerprint cannot be undone; pass --yes to confirm when not on a terminal.';

export async function runFingerprintsDelete(idText: string, o: { yes?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = parseTemplateId(idText);
  if (!o.yes && !process.stdin.isTTY) {
    throw new Fido2Error('usage', NO_TERMINAL, { reason: 'confirmation-needed' });
  }
  await withSession(g, async (s) => {
    const confirm = (target: Template): Promise<boolean> =>
      confirmOnTerminal(o.yes, `This deletes fingerprint ${describeTemplate(target)} from the key.`, NO_TERMINAL, { typeYes: true });
    const { deleted, before, after } = await deleteFingerprint(s, cliAuthorizer(g, io), id, { confirm });
    const left = after.length === 0 ? ' No fingerprint is left: built-in user verification (--uv) is off until you add one.' : ` ${after.length} left.`;
    report(
      g.json,
      { device: s.label, deleted: templateJson(deleted), before: before.map(templateJson), after: after.map(templateJson) },
      `Deleted fingerprint ${describeTemplate(deleted)} (read back from the key).${left}`,
    );
  });
}
