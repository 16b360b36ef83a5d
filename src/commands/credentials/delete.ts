import { Fido2Error } from '../../errors.js';
import { b64url, checkIdArgument } from '../../operations/credential-ids.js';
import { deleteCredential } from '../../operations/credentials.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { confirmOnTerminal } from '../terminal-question.js';
import { credentialToJson, listingToJson, rpToJson } from './credentials-support.js';

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
    const { deleted: target, before, after } = await deleteCredential(s, cliAuthorizer(g, io), id, {
      confirm: (t) =>
        confirmOnTerminal(
          o.yes,
          `Delete the passkey of ${who(t.credential.user.name, t.credential.user.displayName)} for ${t.rp.id} (id ${b64url(t.credential.credentialId)})? This cannot be undone.`,
          'Deleting a passkey cannot be undone; pass --yes to confirm.',
        ),
    });
    const user = who(target.credential.user.name, target.credential.user.displayName);
    report(
      g.json,
      { device: s.label, deleted: { rp: rpToJson(target.rp), ...credentialToJson(target.credential) }, before: listingToJson(before), after: listingToJson(after) },
      `Deleted the passkey of ${user} for ${target.rp.id} (confirmed: the key no longer lists it; ${after.metadata.existing} left).`,
    );
  });
}
