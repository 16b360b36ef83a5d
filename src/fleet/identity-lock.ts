/**
 * A key's own CTAP 2.3 identity (encIdentifier, read with a remembered
 * persistent token) as a lock name and a de-duplication name. The transport
 * identity (serial, path, reader, address) is what can be locked before a key
 * is open; once it is open and a kept token recognises it, the key is also
 * named `key:<keyId>`, which is the same whichever way it was reached (USB,
 * CCID, NFC, a new HID path). So a key reached by two selectors in one run is
 * worked on once, and two processes reaching it by different transports never
 * interleave on it.
 */
import type { Ctap2 } from '../ctap/ctap2.js';
import { rememberedKeyId } from '../operations/remembered-token.js';
import { TokenStore } from '../operations/token-store.js';
import { ownIdentity } from '../devices/key-identity.js';
import { type KeyLockOptions, withKeyLock } from './key-lock.js';
import { keyMutex } from './mutex.js';

/** The keyId of an open key, or undefined when no kept token recognises it. */
export type Identify = (ctap: Ctap2) => Promise<string | undefined>;

/**
 * An identifier over one token store, loaded once. With no kept token (the
 * common case) it sends nothing: only a user who chose `--remember` pays for
 * the extra getInfo. Store trouble never stops a run; the key is then named by
 * its transport alone.
 */
export function identifier(store: TokenStore = new TokenStore()): Identify {
  let entries: Promise<number> | undefined;
  return async (ctap) => {
    entries ??= store.load().then((e) => e.length, () => 0);
    if ((await entries) === 0) return undefined;
    try {
      return await rememberedKeyId(await ctap.getInfo(), store);
    } catch {
      // A key without getInfo (U2F only) or that fails it has no identity here; the command meets the failure itself.
      return undefined;
    }
  };
}

/**
 * Which target first claimed each keyId in one run; pure bookkeeping. `claim`
 * answers the earlier claimant's label when the key was already taken.
 */
export class KeyIdClaims {
  private readonly first = new Map<string, string>();

  claim(keyId: string, label: string): string | undefined {
    const earlier = this.first.get(keyId);
    if (earlier !== undefined) return earlier;
    this.first.set(keyId, label);
    return undefined;
  }
}

/** Runs `fn` under the key's identity lock (in-process mutex, then cross-process lock); just `fn` without a keyId. */
export async function withIdentityLock<T>(keyId: string | undefined, opts: KeyLockOptions, fn: () => Promise<T>): Promise<T> {
  if (keyId === undefined) return fn();
  const id = ownIdentity(keyId);
  return keyMutex.run(id, () => withKeyLock(id, opts, fn));
}
