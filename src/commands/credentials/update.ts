import { checkIdArgument } from '../../operations/credential-ids.js';
import { checkUserNames, updateCredentialUser } from '../../operations/credentials.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { credentialToJson, rpToJson } from './credentials-support.js';

const FIELDS = { name: '--name', displayName: '--display-name' };

/**
 * `credentials update <id> [--name N] [--display-name D]`: rename the user of
 * one passkey; the one name not given is kept, and so is the user id. The
 * result is read back from the key (src/operations/credentials.ts).
 */
export async function runCredentialsUpdate(idArg: string, o: { name?: string; displayName?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = checkIdArgument(idArg);
  const names = { ...(o.name === undefined ? {} : { name: o.name }), ...(o.displayName === undefined ? {} : { displayName: o.displayName }) };
  // Refused before the key is opened; the operation checks again for library callers.
  checkUserNames(names, FIELDS);
  await withSession(g, async (s) => {
    const r = await updateCredentialUser(s, cliAuthorizer(g, io), id, names, { fields: FIELDS });
    const after = r.after.user;
    report(
      g.json,
      { device: s.label, rp: rpToJson(r.rp), before: credentialToJson(r.before), after: credentialToJson(r.after) },
      `Updated the passkey for ${r.rp.id}: name "${after.name ?? ''}", display name "${after.displayName ?? ''}" (read back from the key; user id unchanged).`,
    );
  });
}
