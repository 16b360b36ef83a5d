import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { PERM_PCMR } from '../../src/ctap/permissions.js';
import { openDevice } from '../../src/devices/discovery.js';
import { decryptInfoMember, infoMemberKey, keyIdOf } from '../../src/operations/persistent-token.js';
import { type KeyUnderTest, startKeyWithPin } from '../commands/harness.js';

/** RFC 5869 HKDF-SHA-256 written out with HMAC (independent of node's hkdfSync). */
function hkdf(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  let t = Buffer.alloc(0);
  let okm = Buffer.alloc(0);
  for (let i = 1; okm.length < length; i++) {
    t = createHmac('sha256', prk).update(Buffer.concat([t, Buffer.from(info), Buffer.from([i])])).digest();
    okm = Buffer.concat([okm, t]);
  }
  return okm.subarray(0, length);
}

function encryptMember(token: Buffer, member: string, value: Buffer, iv: Buffer): Uint8Array {
  const c = createCipheriv('aes-128-cbc', hkdf(token, Buffer.alloc(32), member, 16), iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([iv, c.update(value), c.final()]));
}

describe('encrypted getInfo members (known answers computed here)', () => {
  const token = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
  const value = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const iv = Buffer.from('f0e0d0c0b0a090807060504030201000', 'hex');

  it.each(['encIdentifier', 'encCredStoreState'] as const)('%s: key is HKDF(salt 32x0, token, member name), value IV || AES-128-CBC', (member) => {
    expect(Buffer.from(infoMemberKey(token, member))).toEqual(hkdf(token, Buffer.alloc(32), member, 16));
    expect(Buffer.from(decryptInfoMember(token, member, encryptMember(token, member, value, iv))!)).toEqual(value);
  });

  it('the member name is the info string: the other member key does not decrypt', () => {
    const enc = encryptMember(token, 'encIdentifier', value, iv);
    expect(Buffer.from(decryptInfoMember(token, 'encCredStoreState', enc)!)).not.toEqual(value);
  });

  it.each([[0], [16], [31], [33], [48]])('a member of %i bytes is not IV || one block', (n) => {
    expect(decryptInfoMember(token, 'encIdentifier', new Uint8Array(n))).toBeUndefined();
  });

  it('keyId is the first 16 hex of SHA-256 over a domain-separated identifier', () => {
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from('fido2-manage key id v1\0'), value])).digest('hex').slice(0, 16);
    expect(keyIdOf(value)).toBe(expected);
    expect(keyIdOf(value)).not.toBe(createHash('sha256').update(value).digest('hex').slice(0, 16));
    expect(keyIdOf(randomBytes(16))).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('against the 2.3 virtual key', () => {
  let k: KeyUnderTest | undefined;
  afterEach(async () => {
    await k?.close();
    k = undefined;
  });

  async function pcmrToken(pin: string): Promise<{ token: Uint8Array; identifier: Uint8Array; state: Uint8Array; close: () => Promise<void> }> {
    const dev = await openDevice(k!.device);
    const ctap = new Ctap2(dev);
    const info = await ctap.getInfo();
    expect(info.options.perCredMgmtRO).toBe(true);
    const t = await new ClientPin(ctap, info).getPinToken(pin, PERM_PCMR);
    const after = await ctap.getInfo();
    const identifier = decryptInfoMember(t.token, 'encIdentifier', after.encIdentifier!)!;
    const state = decryptInfoMember(t.token, 'encCredStoreState', after.encCredStoreState!)!;
    return { token: t.token, identifier, state, close: async () => dev.close() };
  }

  it('decrypts to the same identifier on every getInfo (fresh IVs), and it survives a PIN change', async () => {
    k = await startKeyWithPin('1234', { profile: 'fido-2.3' });
    const a = await pcmrToken('1234');
    const dev = await openDevice(k.device);
    const ctap = new Ctap2(dev);
    const again = await ctap.getInfo();
    expect(Buffer.from(decryptInfoMember(a.token, 'encIdentifier', again.encIdentifier!)!)).toEqual(Buffer.from(a.identifier));
    await new ClientPin(ctap, again).changePin('1234', '5678');
    await dev.close();
    await a.close();
    const b = await pcmrToken('5678');
    await b.close();
    expect(Buffer.from(b.token)).not.toEqual(Buffer.from(a.token));
    expect(keyIdOf(b.identifier)).toBe(keyIdOf(a.identifier));
  });
});
