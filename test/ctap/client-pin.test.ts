import { describe, expect, it } from 'vitest';
import { AuthenticatorConfig } from '../../src/ctap/authenticator-config.js';
import { ClientPin, pinHash } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapError } from '../../src/ctap/errors.js';
import { pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { PERM_ACFG, PERM_CM, PERM_MC } from '../../src/ctap/permissions.js';
import { Fido2Error } from '../../src/errors.js';
import { baseInfo, bstr, coseHex, hex, loadVectors, queuedRandom, ScriptedChannel, tstr, unhex, type VectorCase } from './helpers.js';
import { rejection } from '../helpers/rejection.js';

const vectors = loadVectors();
const v1 = vectors.find((c) => c.protocol === 1)!;
const v2 = vectors.find((c) => c.protocol === 2)!;

const keyAgreementExchange = (v: VectorCase, protocol = v.protocol) => ({
  request: `06 a2 010${protocol} 0202`,
  reply: '00 a1 01' + coseHex(v.authenticatorPublicKey.x, v.authenticatorPublicKey.y),
});
const platCose = (v: VectorCase) => coseHex(v.platformKeyAgreement.x, v.platformKeyAgreement.y);
const tokenReply = (v: VectorCase) => '00 a1 02' + bstr(v.pinUvAuthToken.tokenEnc);


describe('ClientPin protocol choice', () => {
  const ch = () => new Ctap2(new ScriptedChannel([]));
  it('uses 2 when listed, else 1', () => {
    expect(new ClientPin(ch(), baseInfo({ pinUvAuthProtocols: [1, 2] })).protocol.version).toBe(2);
    expect(new ClientPin(ch(), baseInfo({ pinUvAuthProtocols: [1] })).protocol.version).toBe(1);
    expect(new ClientPin(ch(), baseInfo({ pinUvAuthProtocols: undefined })).protocol.version).toBe(1);
  });

  it('forces a listed protocol, refuses an unlisted one as unsupported', async () => {
    expect(new ClientPin(ch(), baseInfo({ pinUvAuthProtocols: [2, 1] }), { protocol: 1 }).protocol.version).toBe(1);
    for (const [list, forced] of [[[1], 2], [[2], 1], [undefined, 2]] as const) {
      let e: unknown;
      try {
        new ClientPin(ch(), baseInfo({ pinUvAuthProtocols: list as number[] | undefined }), { protocol: forced });
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(Fido2Error);
      expect((e as Fido2Error).kind).toBe('unsupported');
      expect((e as Error).message).toContain(`protocol ${forced}`);
    }
    expect(() => new ClientPin(ch(), baseInfo({ pinUvAuthProtocols: [3] }))).toThrow(/no PIN\/UV auth protocol/);
  });

  it('a forced protocol 1 goes on the wire as 1', async () => {
    const channel = new ScriptedChannel([{ request: '06 a2 0101 0201', reply: '00 a1 03 05' }]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [2, 1] }), { protocol: 1 });
    expect(await cp.getPinRetries()).toEqual({ retries: 5 });
    channel.done();
  });
});

describe('ClientPin retries', () => {
  it('reads pinRetries and powerCycleState', async () => {
    const channel = new ScriptedChannel([
      { request: '06 a2 0102 0201', reply: '00 a2 0308 04f5' },
      { request: '06 a2 0102 0201', reply: '00 a1 0303' },
    ]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo());
    expect(await cp.getPinRetries()).toEqual({ retries: 8, powerCycleState: true });
    expect(await cp.getPinRetries()).toEqual({ retries: 3 });
    channel.done();
  });

  it('reads uvRetries', async () => {
    const channel = new ScriptedChannel([{ request: '06 a2 0102 0207', reply: '00 a1 0502' }]);
    expect(await new ClientPin(new Ctap2(channel), baseInfo()).getUvRetries()).toBe(2);
    channel.done();
  });

  it('rejects malformed retries replies', async () => {
    for (const reply of ['00', '00 a1 0420', '00 a1 03 20', '00 a2 0303 0401', '00 a1 03 63616263']) {
      const cp = new ClientPin(new Ctap2(new ScriptedChannel([{ request: '06 a2 0102 0201', reply }])), baseInfo());
      const e = await rejection(cp.getPinRetries());
      expect(e.kind, reply).toBe('transport');
    }
    const cp = new ClientPin(new Ctap2(new ScriptedChannel([{ request: '06 a2 0102 0207', reply: '00 a1 0301' }])), baseInfo());
    expect((await rejection(cp.getUvRetries())).kind).toBe('transport');
  });
});

describe('ClientPin tokens', () => {
  it('asks 0x09 with exactly the permission and rpId given', async () => {
    const channel = new ScriptedChannel([
      keyAgreementExchange(v2),
      {
        request: `06 a6 0102 0209 03${platCose(v2)} 06${bstr(v2.getPinToken.pinHashEnc)} 09 01 0a${tstr('example.com')}`,
        reply: tokenReply(v2),
      },
    ]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [2] }), {
      platformPrivateKey: unhex(v2.platformPrivateKey),
      random: queuedRandom(v2.ivsUsedInOrder.slice(0, 1)),
    });
    const token = await cp.getPinToken(v2.getPinToken.pin, PERM_MC, 'example.com');
    expect(token.rpId).toBe('example.com');
    expect(token.permissions).toBe(PERM_MC);
    expect(hex(token.authenticate(new Uint8Array([1])))).toBe(hex(pinProtocolV2.authenticate(unhex(v2.pinUvAuthToken.token), new Uint8Array([1]))));
    channel.done();
  });

  it('reuses one key agreement across tokens and config steps', async () => {
    // Protocol 1 has no IV, so both pinHashEnc values are the vector's.
    const channel = new ScriptedChannel([
      keyAgreementExchange(v1),
      { request: `06 a5 0101 0209 03${platCose(v1)} 06${bstr(v1.getPinToken.pinHashEnc)} 09 1820`, reply: tokenReply(v1) },
      { request: `0d a3 0102 0301 04${bstr(v1.authenticatorConfig.toggleAlwaysUv.pinUvAuthParam)}`, reply: '00' },
      { request: `06 a5 0101 0209 03${platCose(v1)} 06${bstr(v1.getPinToken.pinHashEnc)} 09 04`, reply: tokenReply(v1) },
    ]);
    const ctap = new Ctap2(channel);
    const cp = new ClientPin(ctap, baseInfo({ pinUvAuthProtocols: [1] }), { platformPrivateKey: unhex(v1.platformPrivateKey) });
    const t = await cp.getPinToken(v1.getPinToken.pin, PERM_ACFG);
    await new AuthenticatorConfig(ctap, t).toggleAlwaysUv();
    await cp.getPinToken(v1.getPinToken.pin, PERM_CM);
    channel.done();
    expect(channel.seen.filter((r) => r === '06a201010202')).toHaveLength(1);
  });

  it('forgets the key agreement after PIN_INVALID and fetches a new one', async () => {
    const channel = new ScriptedChannel([
      keyAgreementExchange(v1),
      { request: `06 a5 0101 0209 03${platCose(v1)} 06${bstr(v1.getPinToken.pinHashEnc)} 09 1820`, reply: '31' },
      keyAgreementExchange(v1),
      { request: `06 a5 0101 0209 03${platCose(v1)} 06${bstr(v1.getPinToken.pinHashEnc)} 09 1820`, reply: tokenReply(v1) },
    ]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [1] }), { platformPrivateKey: unhex(v1.platformPrivateKey) });
    const e = await rejection(cp.getPinToken(v1.getPinToken.pin, PERM_ACFG));
    expect(e).toBeInstanceOf(CtapError);
    expect(e.kind).toBe('pin-invalid');
    expect(e.message).not.toContain(v1.getPinToken.pin);
    const t = await cp.getPinToken(v1.getPinToken.pin, PERM_ACFG);
    expect(hex(t.token)).toBe(v1.pinUvAuthToken.token);
    channel.done();
  });

  it('reports blocked and policy statuses with their kinds', async () => {
    const cases: [string, string][] = [
      ['32', 'pin-blocked'],
      ['34', 'pin-blocked'],
      ['37', 'pin-policy'],
      ['35', 'pin-required'],
    ];
    for (const [status, kind] of cases) {
      const channel = new ScriptedChannel([
        keyAgreementExchange(v1),
        { request: `06 a5 0101 0209 03${platCose(v1)} 06${bstr(v1.getPinToken.pinHashEnc)} 09 1820`, reply: status },
      ]);
      const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [1] }), { platformPrivateKey: unhex(v1.platformPrivateKey) });
      const e = await rejection(cp.getPinToken(v1.getPinToken.pin, PERM_ACFG));
      expect(e.kind, status).toBe(kind);
      expect((e as CtapError).status).toBe(parseInt(status, 16));
    }
  });

  it('rejects a token of the wrong length', async () => {
    // A 16-byte token is legal for protocol 1 only.
    const secret = unhex(v2.sharedSecret);
    const shortEnc = pinProtocolV2.encrypt(secret, new Uint8Array(16), unhex(v2.ivsUsedInOrder[4]!));
    const channel = new ScriptedChannel([
      keyAgreementExchange(v2),
      { request: `06 a5 0102 0209 03${platCose(v2)} 06${bstr(v2.getPinToken.pinHashEnc)} 09 1820`, reply: '00 a1 02' + bstr(hex(shortEnc)) },
    ]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [2] }), {
      platformPrivateKey: unhex(v2.platformPrivateKey),
      random: queuedRandom(v2.ivsUsedInOrder.slice(0, 1)),
    });
    const e = await rejection(cp.getPinToken(v2.getPinToken.pin, PERM_ACFG));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/malformed reply: pinUvAuthToken of 16 bytes/);
  });

  it('refuses an off-curve key agreement before sending the PIN', async () => {
    const badY = v2.authenticatorPublicKey.y.slice(0, -2) + (parseInt(v2.authenticatorPublicKey.y.slice(-2), 16) ^ 1).toString(16).padStart(2, '0');
    const channel = new ScriptedChannel([{ request: '06 a2 0102 0202', reply: '00 a1 01' + coseHex(v2.authenticatorPublicKey.x, badY) }]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [2] }));
    const e = await rejection(cp.getPinToken('1234', PERM_ACFG));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/not on curve/);
    channel.done();
  });

  it('refuses a token without permissions when permissions are needed', async () => {
    const cp = new ClientPin(new Ctap2(new ScriptedChannel([])), baseInfo());
    expect((await rejection(cp.getPinToken('1234', 0))).kind).toBe('usage');
  });

  it('getUvToken uses 0x06 with permissions and rpId, and needs options.uv', async () => {
    const channel = new ScriptedChannel([
      keyAgreementExchange(v2),
      { request: `06 a5 0102 0206 03${platCose(v2)} 09 01 0a${tstr('example.com')}`, reply: tokenReply(v2) },
    ]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ options: { uv: true, pinUvAuthToken: true }, pinUvAuthProtocols: [2] }), {
      platformPrivateKey: unhex(v2.platformPrivateKey),
    });
    const t = await cp.getUvToken(PERM_MC, 'example.com');
    expect(hex(t.token)).toBe(v2.pinUvAuthToken.token);
    channel.done();
    const optionSets: Record<string, boolean>[] = [{ pinUvAuthToken: true }, { uv: false, pinUvAuthToken: true }, { uv: true }];
    for (const options of optionSets) {
      const none = new ClientPin(new Ctap2(new ScriptedChannel([])), baseInfo({ options }));
      expect((await rejection(none.getUvToken(PERM_MC))).kind).toBe('unsupported');
    }
  });
});

describe('ClientPin setPin / changePin', () => {
  it('checks the new PIN against minPINLength before talking to the key', async () => {
    const cp = new ClientPin(new Ctap2(new ScriptedChannel([])), baseInfo({ minPINLength: 8 }));
    const e = await rejection(cp.setPin('123456'));
    expect(e.kind).toBe('pin-policy');
    expect(e.message).toBe('The new PIN must be at least 8 characters and at most 63 bytes');
    expect((await rejection(cp.changePin('1234', 'x'.repeat(64)))).kind).toBe('pin-policy');
  });

  it('maps a policy refusal from the key and never echoes the PINs', async () => {
    const channel = new ScriptedChannel([
      keyAgreementExchange(v1),
      {
        request: `06 a6 0101 0204 03${platCose(v1)} 04${bstr(v1.changePin.pinUvAuthParam)} 05${bstr(v1.changePin.newPinEnc)} 06${bstr(v1.changePin.pinHashEnc)}`,
        reply: '37',
      },
    ]);
    const cp = new ClientPin(new Ctap2(channel), baseInfo({ pinUvAuthProtocols: [1] }), { platformPrivateKey: unhex(v1.platformPrivateKey) });
    const e = await rejection(cp.changePin(v1.changePin.currentPin, v1.changePin.newPin));
    expect(e.kind).toBe('pin-policy');
    expect(e.message).toBe('The security key refused: CTAP2_ERR_PIN_POLICY_VIOLATION (0x37)');
    expect(e.message).not.toContain(v1.changePin.newPin);
    channel.done();
  });

  it('the pinHash sent is of the NFC-normalised PIN', () => {
    expect(hex(pinHash('n\u0303'))).toBe(hex(pinHash('ñ')));
    expect(hex(pinHash('1234'))).toBe('03ac674216f3e15c761ee1a5e255f067');
  });
});
