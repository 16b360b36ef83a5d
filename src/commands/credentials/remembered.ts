/**
 * The CLI side of remembered persistent tokens: which token a read-only
 * listing uses (a remembered one, a new one to remember, or the PIN's `cm`
 * token) and `credentials forget`. The token itself never reaches output.
 */
import { CredentialManagement } from '../../ctap/credential-management.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import {
  dropRemembered,
  findRememberedToken,
  forgetToken,
  isTokenRejected,
  keyHint,
  rememberToken,
  type RememberedToken,
} from '../../operations/remembered-token.js';
import { TokenStore } from '../../operations/token-store.js';
import { explain } from '../../operations/explain.js';
import { Fido2Error } from '../../errors.js';
import { cliAuthorizer } from '../authorize.js';
import type { GlobalOptions } from '../global-options.js';
import { notice, report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { type Session, withSession } from '../session.js';
import { credentialKeyInfo, openCredentialManagement } from '../../operations/credentials.js';

const STALE = 'The key no longer accepts the token remembered for it (its PIN was changed, or it was reset); forgot it, using the PIN.';

/**
 * Runs a read-only credential management step with the best token at hand:
 * with `remember`, a new persistent token (the PIN asked once) kept for the
 * key; else the one kept for this key, without a PIN; else (none kept, or the
 * key refuses it: one line, then dropped) the PIN's `cm` token.
 */
export async function withReadToken<T>(
  s: Session,
  info: AuthenticatorInfo,
  g: GlobalOptions,
  io: PinIo,
  o: { remember?: boolean },
  run: (cm: CredentialManagement, remembered: RememberedToken | undefined) => Promise<T>,
): Promise<T> {
  const store = new TokenStore();
  const hint = keyHint(s.label, info);
  if (o.remember) {
    const r = await rememberToken(s, info, cliAuthorizer(g, io), store, hint);
    if (r) {
      notice(`Kept a read-only token for this key${r.keyId ? ` (key ${r.keyId})` : ''} in ${store.file}: later listings need no PIN; \`fido2-manage credentials forget\` drops it.`);
      return run(new CredentialManagement(s.ctap, info, r.token), r);
    }
    notice('This key cannot keep a persistent read-only token (no perCredMgmtRO option): nothing remembered, it will ask for the PIN each time.');
  } else {
    // A store that cannot be trusted only turns remembering off here: the listing goes on with the PIN.
    const found = await findRememberedToken(info, hint, store).catch((e: unknown) => {
      if (!(e instanceof Fido2Error) || e.kind !== 'usage') throw e;
      notice(`${e.message} Using the PIN.`);
      return { kind: 'none' } as const;
    });
    if (found.kind === 'dropped') notice(STALE);
    if (found.kind === 'found') {
      try {
        return await run(new CredentialManagement(s.ctap, info, found.remembered.token), found.remembered);
      } catch (e) {
        if (!isTokenRejected(e)) throw explain(e);
        await dropRemembered(store, found.remembered.entry);
        notice(STALE);
      }
    }
  }
  return run(await openCredentialManagement(s, info, cliAuthorizer(g, io)), undefined);
}

/** `credentials forget [--all]`: drops the token remembered for the key (every key's with --all). */
export async function runCredentialsForget(o: { all?: boolean }, g: GlobalOptions, _io: PinIo = processPinIo()): Promise<void> {
  const store = new TokenStore();
  if (o.all) {
    const had = await store.clear();
    report(g.json, { device: null, forgotten: had, all: true }, had ? `Forgot every remembered token (${store.file} removed).` : 'No token was remembered.');
    return;
  }
  await withSession(g, async (s) => {
    const info = await credentialKeyInfo(s);
    const forgotten = await forgetToken(info, keyHint(s.label, info), store);
    report(g.json, { device: s.label, forgotten }, forgotten ? `Forgot the token remembered for ${s.label}; listings will ask for the PIN again.` : `No token was remembered for ${s.label}; nothing changed.`);
  });
}
