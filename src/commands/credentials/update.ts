import { Fido2Error } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { b64url, checkIdArgument, credentialKeyInfo, credentialToJson, flatten, keyStep, openCredentialManagement, resolveCredential, rpToJson } from './credentials-support.js';

/** WebAuthn §6.4.1: keys may truncate at 64 bytes; longer names would not read back as given. */
const MAX_NAME_BYTES = 64;

function checkName(flag: string, value: string | undefined): void {
  // The key drops a name sent empty (§6.8.6 replaces the user entity): "" would erase it, not rename it.
  if (value !== undefined && value.trim() === '') {
    throw new Fido2Error('usage', `${flag} is empty; give the new name (credentials update cannot remove a name).`, { reason: 'empty-name' });
  }
  if (value !== undefined && Buffer.byteLength(value) > MAX_NAME_BYTES) {
    throw new Fido2Error('usage', `${flag} is ${Buffer.byteLength(value)} bytes; keys keep at most ${MAX_NAME_BYTES}. Give a shorter one.`);
  }
}

/**
 * `credentials update <id> [--name N] [--display-name D]`: rename the user of
 * one passkey. The key replaces both names and drops an absent one
 * (CTAP 2.1 §6.8.6), so the one not given is sent as it is now; the user id
 * is kept. The result is read back from the key.
 */
export async function runCredentialsUpdate(idArg: string, o: { name?: string; displayName?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = checkIdArgument(idArg);
  if (o.name === undefined && o.displayName === undefined) {
    throw new Fido2Error('usage', 'Nothing to change: give --name and/or --display-name.');
  }
  checkName('--name', o.name);
  checkName('--display-name', o.displayName);
  await withSession(g, async (s) => {
    const info = await credentialKeyInfo(s);
    const cm = await openCredentialManagement(s, info, g, io);
    if (!cm.canUpdateUser) {
      throw new Fido2Error('unsupported', 'This key only has the credential management preview (FIDO 2.1-PRE), which cannot rename a passkey; nothing was changed.');
    }
    const target = resolveCredential(flatten(await keyStep(() => cm.listAll(undefined))), id);
    const before = target.credential.user;
    const wanted = {
      id: before.id,
      ...((o.name ?? before.name) === undefined ? {} : { name: o.name ?? before.name }),
      ...((o.displayName ?? before.displayName) === undefined ? {} : { displayName: o.displayName ?? before.displayName }),
    };
    await keyStep(() => cm.updateUser(target.credential.credentialId, wanted));
    const fullId = b64url(target.credential.credentialId);
    const again = flatten(await keyStep(() => cm.listAll(target.rp.id))).find((l) => b64url(l.credential.credentialId) === fullId);
    const after = again?.credential.user;
    const same = (a: string | undefined, b: string | undefined): boolean => (a ?? '') === (b ?? '');
    if (after === undefined || b64url(after.id) !== b64url(before.id) || !same(after.name, wanted.name) || !same(after.displayName, wanted.displayName)) {
      throw new Fido2Error('not-confirmed', `The key accepted the change but does not read back the new names for ${fullId}; check with \`fido2-manage credentials list\`.`);
    }
    report(
      g.json,
      { device: s.label, rp: rpToJson(target.rp), before: credentialToJson(target.credential), after: credentialToJson(again!.credential) },
      `Updated the passkey for ${target.rp.id}: name "${after.name ?? ''}", display name "${after.displayName ?? ''}" (read back from the key; user id unchanged).`,
    );
  });
}
