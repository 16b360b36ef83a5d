import { describe, expect, it } from 'vitest';
import type { Encodable } from '../../src/sim/cbor.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST, makeCredentialParams, parseMakeCredential } from './platform.js';

async function setup(o: VirtualKeyOptions = {}, protocol: 1 | 2 = 2): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  return { key, host, p: new Platform(host, protocol) };
}

describe.each([1, 2] as const)('clientPIN with protocol %i', (protocol) => {
  it('setPIN, then NOT_ALLOWED for a second setPIN; the token decrypts to 32 bytes', async () => {
    const { host, p } = await setup({}, protocol);
    expect(await p.setPin('1234')).toBe(ST.OK);
    expect((await host.ok(CTAP.getInfo)).get(4)).toEqual(expect.any(Map));
    expect(((await host.ok(CTAP.getInfo)).get(4) as Map<string, boolean>).get('clientPin')).toBe(true);
    expect(await p.setPin('5678')).toBe(ST.NOT_ALLOWED);
    const t = await p.token('1234', PERM.acfg);
    expect(t.status).toBe(ST.OK);
    expect(t.token!.length).toBe(32);
  });

  it('changePIN: the old PIN stops working, the new one works', async () => {
    const { p } = await setup({}, protocol);
    await p.setPin('1234');
    expect(await p.changePin('1234', '98765')).toBe(ST.OK);
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.PIN_INVALID);
    expect((await p.token('98765', PERM.mc)).status).toBe(ST.OK);
  });

  it('changePIN and getPinToken without a PIN are PIN_NOT_SET', async () => {
    const { p } = await setup({}, protocol);
    expect(await p.changePin('1234', '5678')).toBe(ST.PIN_NOT_SET);
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.PIN_NOT_SET);
  });
});

describe('PIN retries', () => {
  it('starts at 8; a wrong PIN costs one, a right one restores 8', async () => {
    const { p } = await setup();
    expect((await p.retries()).retries).toBe(8);
    await p.setPin('1234');
    expect((await p.token('0000', PERM.mc)).status).toBe(ST.PIN_INVALID);
    expect((await p.retries()).retries).toBe(7);
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.OK);
    expect((await p.retries()).retries).toBe(8);
  });

  it('blocks PIN entry after 3 wrong PINs in a row until a power cycle', async () => {
    const { key, p } = await setup();
    await p.setPin('1234');
    expect((await p.token('1111', PERM.mc)).status).toBe(ST.PIN_INVALID);
    expect((await p.token('2222', PERM.mc)).status).toBe(ST.PIN_INVALID);
    expect((await p.token('3333', PERM.mc)).status).toBe(ST.PIN_AUTH_BLOCKED);
    expect((await p.retries()).powerCycleState).toBe(true);
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.PIN_AUTH_BLOCKED);
    expect(await p.changePin('1234', '4321')).toBe(ST.PIN_AUTH_BLOCKED);
    expect((await p.retries()).retries).toBe(5);
    key.powerCycle();
    expect((await p.retries()).powerCycleState).toBe(false);
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.OK);
    expect((await p.retries()).retries).toBe(8);
  });

  it('blocks the PIN for good at 0 retries (PIN_BLOCKED) until reset', async () => {
    const { key, host, p } = await setup();
    await p.setPin('1234');
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      if (i % 3 === 0) key.powerCycle();
      seen.push((await p.token('9999', PERM.mc)).status);
    }
    expect(seen.at(-1)).toBe(ST.PIN_BLOCKED);
    expect((await p.retries()).retries).toBe(0);
    key.powerCycle();
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.PIN_BLOCKED);
    expect(await p.changePin('1234', '5678')).toBe(ST.PIN_BLOCKED);
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    expect((await p.retries()).retries).toBe(8);
    expect(await p.setPin('1234')).toBe(ST.OK);
  });

  it('a wrong PIN regenerates the key-agreement key', async () => {
    const { host, p } = await setup();
    await p.setPin('1234');
    const before = await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 2]]));
    await p.token('0000', PERM.mc);
    const after = await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 2]]));
    expect(after.get(1)).not.toEqual(before.get(1));
  });

  it('a power cycle regenerates the key-agreement key', async () => {
    const { key, host } = await setup();
    const before = await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 2]]));
    expect(await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 2]]))).toEqual(before);
    key.powerCycle();
    expect(await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 2]]))).not.toEqual(before);
  });

  it('a power cycle invalidates the pinUvAuthToken', async () => {
    const { key, p } = await setup();
    await p.setPin('1234');
    const token = await p.mustToken('1234', PERM.acfg);
    key.powerCycle();
    expect(await p.config(2, undefined, token)).toBe(ST.PIN_AUTH_INVALID);
  });
});

describe('PIN policy', () => {
  it('counts Unicode code points for the minimum and bytes for the maximum', async () => {
    const { p } = await setup();
    expect(await p.setPin('123')).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.setPin('ñü€')).toBe(ST.PIN_POLICY_VIOLATION); // 3 code points, 8 bytes
    expect(await p.setPin('x'.repeat(64))).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.setPin('ñü€4')).toBe(ST.OK);
    expect(await p.changePin('ñü€4', 'y'.repeat(63))).toBe(ST.OK);
  });

  it('refuses a newPinEnc that does not hold 64 bytes with INVALID_PARAMETER', async () => {
    const { p } = await setup();
    expect(await p.setPin(new Uint8Array(80).fill(0x31))).toBe(ST.INVALID_PARAMETER);
  });

  it('refuses a bad pinUvAuthParam on setPIN with PIN_AUTH_INVALID', async () => {
    const { host, p } = await setup();
    const { keyAgreement } = await p.agree();
    const params = new Map<number, Encodable>([[1, 2], [2, 3], [3, keyAgreement], [4, new Uint8Array(32)], [5, new Uint8Array(80)]]);
    expect(await host.status(CTAP.clientPin, params)).toBe(ST.PIN_AUTH_INVALID);
  });

  it('refuses a platform key that is not on the curve with INVALID_PARAMETER', async () => {
    const { host } = await setup();
    const bogus = new Map<number, Encodable>([[1, 2], [3, -25], [-1, 1], [-2, new Uint8Array(32).fill(1)], [-3, new Uint8Array(32).fill(2)]]);
    const params = new Map<number, Encodable>([[1, 2], [2, 3], [3, bogus], [4, new Uint8Array(32)], [5, new Uint8Array(80)]]);
    expect(await host.status(CTAP.clientPin, params)).toBe(ST.INVALID_PARAMETER);
  });

  it('reports missing parameters, bad types, unknown subcommands and protocols', async () => {
    const { host } = await setup();
    expect(await host.status(CTAP.clientPin)).toBe(ST.MISSING_PARAMETER);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2]]))).toBe(ST.MISSING_PARAMETER);
    expect(await host.status(CTAP.clientPin, new Map([[2, 2]]))).toBe(ST.MISSING_PARAMETER);
    expect(await host.status(CTAP.clientPin, new Map<number, Encodable>([[1, 2], [2, 'x']]))).toBe(ST.CBOR_UNEXPECTED_TYPE);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2], [2, 0x42]]))).toBe(ST.INVALID_SUBCOMMAND);
    expect(await host.status(CTAP.clientPin, new Map([[1, 3], [2, 2]]))).toBe(ST.INVALID_PARAMETER);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2], [2, 3]]))).toBe(ST.MISSING_PARAMETER);
  });
});

describe('tokens and permissions', () => {
  it('getPinToken (legacy) grants mc and ga but never acfg', async () => {
    for (const protocol of [1, 2] as const) {
      const { p } = await setup({}, protocol);
      await p.setPin('1234');
      const legacy = await p.mustToken('1234');
      expect(await p.config(2, undefined, legacy)).toBe(ST.PIN_AUTH_INVALID);
    }
  });

  it('permissions 0 is INVALID_PARAMETER, unsupported ones UNAUTHORIZED_PERMISSION, cm is granted', async () => {
    const { p } = await setup();
    await p.setPin('1234');
    expect((await p.token('1234', 0)).status).toBe(ST.INVALID_PARAMETER);
    expect((await p.token('1234', PERM.be)).status).toBe(ST.UNAUTHORIZED_PERMISSION);
    expect((await p.token('1234', PERM.lbw)).status).toBe(ST.OK);
    expect((await p.token('1234', PERM.mc | PERM.cm)).status).toBe(ST.OK);
    expect((await p.token('1234', PERM.cm, 'example.com')).status).toBe(ST.OK);
  });

  it('lbw is UNAUTHORIZED_PERMISSION on a key without large blobs', async () => {
    const { p } = await setup({ largeBlobMax: 0 });
    await p.setPin('1234');
    expect((await p.token('1234', PERM.lbw)).status).toBe(ST.UNAUTHORIZED_PERMISSION);
    expect((await p.token('1234', PERM.mc | PERM.lbw)).status).toBe(ST.UNAUTHORIZED_PERMISSION);
  });

  it('a token for protocol 1 does not verify under protocol 2, and a new token retires the old one', async () => {
    const { host } = await setup();
    const p1 = new Platform(host, 1);
    const p2 = new Platform(host, 2);
    await p2.setPin('1234');
    const t1 = await p1.mustToken('1234', PERM.acfg);
    expect(await p2.config(2, undefined, t1)).toBe(ST.PIN_AUTH_INVALID);
    const t2 = await p2.mustToken('1234', PERM.acfg);
    expect(await p1.config(2, undefined, t1)).toBe(ST.PIN_AUTH_INVALID);
    expect(await p2.config(2, undefined, t2)).toBe(ST.OK);
  });

  it('changePIN retires the current token', async () => {
    const { p } = await setup();
    await p.setPin('1234');
    const t = await p.mustToken('1234', PERM.acfg);
    await p.changePin('1234', '4321');
    expect(await p.config(2, undefined, t)).toBe(ST.PIN_AUTH_INVALID);
  });
});

describe('built-in UV', () => {
  it('gives tokens through getPinUvAuthTokenUsingUvWithPermissions and counts UV retries', async () => {
    const { key, host, p } = await setup({ uv: true });
    expect((await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 7]]))).get(5)).toBe(8);
    const t = await p.uvToken(PERM.acfg);
    expect(t.status).toBe(ST.OK);
    expect(await p.config(2, undefined, t.token)).toBe(ST.OK);
    key.setFingerprintMatch(false);
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.UV_INVALID);
    expect((await host.ok(CTAP.clientPin, new Map([[1, 2], [2, 7]]))).get(5)).toBe(7);
    for (let i = 0; i < 6; i++) expect((await p.uvToken(PERM.mc)).status).toBe(ST.UV_INVALID);
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.UV_BLOCKED);
    key.setFingerprintMatch(true);
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.UV_BLOCKED);
  });

  it('counts the finger on the sensor as the touch for the next request, once (§6.5.5.7.3 step 13)', async () => {
    const { key, host, p } = await setup({ uv: true });
    const t = await p.uvToken(PERM.mc, 'example.com');
    expect(t.status).toBe(ST.OK);
    // From now on the simulated user refuses every touch: only the presence the token carries is left.
    key.setPresence('deny');
    const first = await host.request(CTAP.makeCredential, makeCredentialParams({ token: t.token! }));
    expect(first.status).toBe(ST.OK);
    expect(parseMakeCredential(first.body as never).flags & 0x05).toBe(0x05);
    const second = await host.request(CTAP.makeCredential, makeCredentialParams({ token: t.token!, userId: new Uint8Array([2]) }));
    expect(second.status).toBe(ST.OPERATION_DENIED);
  });

  it('is INVALID_SUBCOMMAND on a key without a sensor', async () => {
    const { host, p } = await setup();
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.INVALID_SUBCOMMAND);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2], [2, 7]]))).toBe(ST.INVALID_SUBCOMMAND);
  });
});
