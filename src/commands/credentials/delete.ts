import { Fido2Error } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';
import {
  b64url,
  checkIdArgument,
  credentialKeyInfo,
  credentialToJson,
  flatten,
  keyStep,
  listingToJson,
  openCredentialManagement,
  resolveCredential,
  rpToJson,
} from './credentials-support.js';

const who = (name: string | undefined, displayName: string | undefined): string =>
  [name, displayName && displayName !== name ? `(${displayName})` : undefined].filter(Boolean).join(' ') || 'an unnamed user';

/**
 * `credentials delete <id or unique prefix> [--yes]`. The id is resolved
 * against the key's own list, so an unknown or ambiguous prefix deletes
 * nothing; afterwards the list is read back to confirm the passkey is gone.
 */
export async function runCredentialsDelete(idArg: string, o: { yes?: boolean }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = checkIdArgument(idArg);
  if (!o.yes && !process.stdin.isTTY) {
    throw new Fido2Error('usage', 'Deleting a passkey cannot be undone; pass --yes to confirm when not on a terminal. Nothing was changed.', { reason: 'confirmation-needed' });
  }
  await withSession(g, async (s) => {
    const info = await credentialKeyInfo(s);
    const cm = await openCredentialManagement(s, info, g, io);
    const before = await keyStep(() => cm.listAll());
    const target = resolveCredential(flatten(before), id);
    const user = who(target.credential.user.name, target.credential.user.displayName);
    const fullId = b64url(target.credential.credentialId);
    const ok = await confirmOnTerminal(o.yes, `Delete the passkey of ${user} for ${target.rp.id} (id ${fullId})? This cannot be undone.`, 'Deleting a passkey cannot be undone; pass --yes to confirm.');
    if (!ok) throw new Fido2Error('cancelled', 'Not deleted; nothing was changed.');
    await keyStep(() => cm.delete(target.credential.credentialId));
    const after = await keyStep(() => cm.listAll());
    if (flatten(after).some((l) => b64url(l.credential.credentialId) === fullId)) {
      throw new Fido2Error('not-confirmed', `The key accepted the delete but still lists the passkey ${fullId}; check with \`fido2-manage credentials list\`.`);
    }
    report(
      g.json,
      { device: s.label, deleted: { rp: rpToJson(target.rp), ...credentialToJson(target.credential) }, before: listingToJson(before), after: listingToJson(after) },
      `Deleted the passkey of ${user} for ${target.rp.id} (confirmed: the key no longer lists it; ${after.metadata.existing} left).`,
    );
  });
}
