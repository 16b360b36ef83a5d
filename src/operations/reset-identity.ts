/**
 * The guided reset's "is this the same key" by the key's own CTAP 2.3
 * identity, when a remembered persistent token recognises it: read before the
 * replug, compared after it, before authenticatorReset is sent. A key no kept
 * token recognises leaves the check to the USB facts (src/devices/replug.ts).
 * After the reset the identifier is new and the token dead, so it is dropped.
 * Token store trouble never stops a reset: it only turns the check off.
 */
import type { KeyChannel } from '../ctap/channel.js';
import { Ctap2 } from '../ctap/ctap2.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { Fido2Error } from '../errors.js';
import { forgetToken, keyHint, rememberedKeyId } from './remembered-token.js';
import { TokenStore } from './token-store.js';

export interface ResetIdentity {
  /** Before the replug: opens the key briefly (only when tokens are kept) and notes its keyId. */
  noteBefore(open: () => Promise<KeyChannel>): Promise<void>;
  /** After the replug, with the getInfo read before the reset: a wrong-key error when the identity differs. */
  check(info: AuthenticatorInfo): Promise<void>;
  /** After a reset: forget the token kept for the key (it no longer works). */
  afterReset(info: AuthenticatorInfo, label: string): Promise<void>;
}

/** Same key when nothing was known before, else exactly the keyId noted before; pure. */
export function sameKeyId(before: string | undefined, after: string | undefined): boolean {
  return before === undefined || before === after;
}

export function resetIdentity(store: TokenStore = new TokenStore()): ResetIdentity {
  let before: string | undefined;
  const quietly = async <T>(f: () => Promise<T>): Promise<T | undefined> => f().catch(() => undefined);
  return {
    async noteBefore(open) {
      if (((await quietly(() => store.load())) ?? []).length === 0) return;
      before = await quietly(async () => {
        const device = await open();
        try {
          return await rememberedKeyId(await new Ctap2(device).getInfo(), store);
        } finally {
          await device.close().catch(() => undefined);
        }
      });
    },
    async check(info) {
      if (before === undefined) return;
      const now = await quietly(() => rememberedKeyId(info, store));
      if (!sameKeyId(before, now)) {
        throw new Fido2Error('wrong-key', `A different key came back (its CTAP 2.3 identity is not key ${before}); nothing was reset. Plug in only the key to reset and run again.`);
      }
    },
    async afterReset(info, label) {
      await quietly(() => forgetToken(info, keyHint(label, info), store));
    },
  };
}
