import { describe, expect, it, vi } from 'vitest';
import type { CborValue, Encodable } from '../../src/sim/cbor.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST } from './platform.js';

const TOGGLE = 2;
const EA = 1;
const MINLEN = 3;

async function setup(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  return { key, host, p: new Platform(host) };
}

async function info(host: CtapHost): Promise<{ options: Map<CborValue, CborValue>; minPin: CborValue; force: CborValue }> {
  const i = await host.ok(CTAP.getInfo);
  return { options: i.get(4) as Map<CborValue, CborValue>, minPin: i.get(0x0d), force: i.get(0x0c) };
}

describe('authenticatorConfig authorisation', () => {
  it('needs no token while the key has no PIN (alwaysUv on or off)', async () => {
    const { host, p } = await setup();
    expect(await p.config(TOGGLE)).toBe(ST.OK);
    expect((await info(host)).options.get('alwaysUv')).toBe(true);
    expect((await info(host)).options.get('makeCredUvNotRqd')).toBe(false);
    expect(await p.config(TOGGLE)).toBe(ST.OK);
    expect((await info(host)).options.get('alwaysUv')).toBe(false);
  });

  it('with alwaysUv on and no PIN, only toggleAlwaysUv goes without a token', async () => {
    const { host, p } = await setup();
    expect(await p.config(TOGGLE)).toBe(ST.OK);
    expect(await p.config(MINLEN, new Map([[1, 6]]))).toBe(ST.PUAT_REQUIRED);
    expect(await p.config(EA)).toBe(ST.PUAT_REQUIRED);
    expect((await info(host)).minPin).toBe(4);
    expect(await p.config(TOGGLE)).toBe(ST.OK);
    expect(await p.config(MINLEN, new Map([[1, 6]]))).toBe(ST.OK);
  });

  it('with a PIN: PUAT_REQUIRED without a token, PIN_AUTH_INVALID for a bad param or a token without acfg', async () => {
    const { host, p } = await setup();
    await p.setPin('1234');
    expect(await p.config(TOGGLE)).toBe(ST.PUAT_REQUIRED);
    const good = await p.mustToken('1234', PERM.acfg);
    const bad = Uint8Array.from(good, (b, i) => (i === 0 ? b ^ 0xff : b));
    expect(await p.config(TOGGLE, undefined, bad)).toBe(ST.PIN_AUTH_INVALID);
    const mc = await p.mustToken('1234', PERM.mc | PERM.ga, 'example.com');
    expect(await p.config(TOGGLE, undefined, mc)).toBe(ST.PIN_AUTH_INVALID);
    const acfg = await p.mustToken('1234', PERM.acfg);
    expect(await p.config(TOGGLE, undefined, acfg)).toBe(ST.OK);
    expect((await info(host)).options.get('alwaysUv')).toBe(true);
  });

  it('a pinUvAuthParam without pinUvAuthProtocol is MISSING_PARAMETER; an unknown protocol INVALID_PARAMETER', async () => {
    const { host } = await setup();
    expect(await host.status(CTAP.config, new Map<number, Encodable>([[1, TOGGLE], [4, new Uint8Array(32)]]))).toBe(ST.MISSING_PARAMETER);
    expect(await host.status(CTAP.config, new Map<number, Encodable>([[1, TOGGLE], [3, 7], [4, new Uint8Array(32)]]))).toBe(ST.INVALID_PARAMETER);
  });

  it('unknown subcommands are INVALID_SUBCOMMAND, a missing one MISSING_PARAMETER', async () => {
    const { host } = await setup();
    expect(await host.status(CTAP.config, new Map([[1, 0x7f]]))).toBe(ST.INVALID_SUBCOMMAND);
    expect(await host.status(CTAP.config, new Map<number, Encodable>([[2, {}]]))).toBe(ST.MISSING_PARAMETER);
  });

  it('quirk toggleAlwaysUvIgnored answers success but changes nothing', async () => {
    const { host, p } = await setup({ quirks: { toggleAlwaysUvIgnored: true } });
    expect(await p.config(TOGGLE)).toBe(ST.OK);
    expect((await info(host)).options.get('alwaysUv')).toBe(false);
  });

  it('enableEnterpriseAttestation turns the ep option on', async () => {
    const { host, p } = await setup();
    expect(await p.config(EA)).toBe(ST.OK);
    expect((await info(host)).options.get('ep')).toBe(true);
  });
});

describe('setMinPINLength', () => {
  it('raises the minimum, never lowers it, and forces a change of a PIN now too short', async () => {
    const { host, p } = await setup();
    await p.setPin('12345678');
    let t = await p.mustToken('12345678', PERM.acfg);
    expect(await p.config(MINLEN, new Map([[1, 10]]), t)).toBe(ST.OK);
    let i = await info(host);
    expect(i.minPin).toBe(10);
    expect(i.force).toBe(true);
    expect((await p.token('12345678', PERM.acfg)).status).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.changePin('12345678', '123456789')).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.changePin('12345678', '1234567890')).toBe(ST.OK);
    expect((await info(host)).force).toBe(false);
    t = await p.mustToken('1234567890', PERM.acfg);
    expect(await p.config(MINLEN, new Map([[1, 6]]), t)).toBe(ST.PIN_POLICY_VIOLATION);
    expect((await info(host)).minPin).toBe(10);
    expect(await p.config(MINLEN, new Map([[3, true]]), t)).toBe(ST.OK);
    i = await info(host);
    expect(i.force).toBe(true);
    expect(i.minPin).toBe(10);
  });

  it('while forcePINChange is set a correct PIN gets no token: getPinToken PIN_INVALID, WithPermissions PIN_POLICY_VIOLATION; no retry spent', async () => {
    const { p } = await setup();
    await p.setPin('1234');
    const t = await p.mustToken('1234', PERM.acfg);
    expect(await p.config(MINLEN, new Map([[3, true]]), t)).toBe(ST.OK);
    expect((await p.token('1234')).status).toBe(ST.PIN_INVALID);
    expect((await p.token('1234', PERM.mc, 'example.com')).status).toBe(ST.PIN_POLICY_VIOLATION);
    expect((await p.retries()).retries).toBe(8);
    expect(await p.changePin('1234', '4321')).toBe(ST.OK);
    expect((await p.token('4321')).status).toBe(ST.OK);
  });

  it('a forced change may not keep the same PIN', async () => {
    const { p } = await setup();
    await p.setPin('1234');
    const t = await p.mustToken('1234', PERM.acfg);
    expect(await p.config(MINLEN, new Map([[3, true]]), t)).toBe(ST.OK);
    expect(await p.changePin('1234', '1234')).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.changePin('1234', '4321')).toBe(ST.OK);
  });

  it('without a PIN: applies to setPIN; forceChangePin is PIN_NOT_SET', async () => {
    const { host, p } = await setup();
    expect(await p.config(MINLEN, new Map([[1, 6]]))).toBe(ST.OK);
    expect(await p.setPin('12345')).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.config(MINLEN, new Map([[3, true]]))).toBe(ST.PIN_NOT_SET);
    expect(await p.setPin('123456')).toBe(ST.OK);
    expect((await info(host)).force).toBe(false);
  });

  it('keeps the RP IDs (up to maxRPIDsForSetMinPINLength) and reports the minimum to them via the minPinLength extension', async () => {
    const { key, p } = await setup();
    expect(await p.config(MINLEN, new Map<number, Encodable>([[2, ['a.example', 'b.example', 'c.example', 'd.example', 'e.example']]]))).toBe(
      ST.INVALID_LENGTH,
    );
    expect(await p.config(MINLEN, new Map<number, Encodable>([[1, 5], [2, ['example.com']]]))).toBe(ST.OK);
    expect(key.snapshot().minPinLengthRpIds).toEqual(['example.com']);
  });

  it('refuses wrongly typed parameters with CBOR_UNEXPECTED_TYPE', async () => {
    const { p } = await setup();
    expect(await p.config(MINLEN, new Map<number, Encodable>([[1, 'six']]))).toBe(ST.CBOR_UNEXPECTED_TYPE);
    expect(await p.config(MINLEN, new Map<number, Encodable>([[2, [1, 2]]]))).toBe(ST.CBOR_UNEXPECTED_TYPE);
    expect(await p.config(MINLEN, new Map<number, Encodable>([[3, 1]]))).toBe(ST.CBOR_UNEXPECTED_TYPE);
  });
});

describe('reset', () => {
  it('clears PIN, alwaysUv, minPINLength, forcePINChange, retries and credentials', async () => {
    const { host, p } = await setup();
    await p.setPin('12345678');
    const t = await p.mustToken('12345678', PERM.acfg);
    await p.config(MINLEN, new Map([[1, 8]]), t);
    await p.config(TOGGLE, undefined, t);
    await p.token('00000000', PERM.mc);
    const aaguid = (await host.ok(CTAP.getInfo)).get(3);
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    const i = await host.ok(CTAP.getInfo);
    const o = i.get(4) as Map<CborValue, CborValue>;
    expect(o.get('clientPin')).toBe(false);
    expect(o.get('alwaysUv')).toBe(false);
    expect(i.get(0x0d)).toBe(4);
    expect(i.get(0x0c)).toBe(false);
    expect(i.get(3)).toEqual(aaguid);
    expect((await p.retries()).retries).toBe(8);
  });

  it('needs user presence', async () => {
    const { key, host, p } = await setup({ presence: 'deny' });
    key.setPresence('confirm');
    await p.setPin('1234');
    key.setPresence('deny');
    expect(await host.status(CTAP.reset)).toBe(ST.OPERATION_DENIED);
    expect(((await info(host)).options).get('clientPin')).toBe(true);
  });

  it('with a reset window, is NOT_ALLOWED once the window has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { key, host } = await setup({ resetWindowSeconds: 10 });
      expect(await host.status(CTAP.reset)).toBe(ST.OK);
      vi.setSystemTime(Date.now() + 11_000);
      expect(await host.status(CTAP.reset)).toBe(ST.NOT_ALLOWED);
      key.powerCycle();
      expect(await host.status(CTAP.reset)).toBe(ST.OK);
    } finally {
      vi.useRealTimers();
    }
  });
});
