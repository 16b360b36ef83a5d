/** Passkeys made on a served virtual key through its own CTAP interface (test/sim, not src/ctap). */
import { expect } from 'vitest';
import type { ProfileName } from '../../src/sim/virtual-key.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, Platform } from '../sim/platform.js';
import { type KeyUnderTest, startKey } from './harness.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Three passkeys on two sites (a.example: u1, u2; b.example: u3), then PIN 1234. Ids in that order. */
export async function keyWithPasskeys(profile: ProfileName = 'fido-2.1'): Promise<{ k: KeyUnderTest; ids: string[] }> {
  const k = await startKey({ profile });
  const host = await CtapHost.open(k.key);
  const ids: string[] = [];
  for (const [rpId, user] of [['a.example', 'u1'], ['a.example', 'u2'], ['b.example', 'u3']] as const) {
    const params = makeCredentialParams({ rk: true, rpId, userId: utf8(user) });
    ids.push(b64(parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId));
  }
  expect(await new Platform(host).setPin('1234')).toBe(0);
  host.close();
  return { k, ids };
}
