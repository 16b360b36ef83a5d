import { describe, expect, it } from 'vitest';
import {
  AuthenticatorConfig,
  buildConfigRequest,
  buildSetMinPinLengthParams,
  configMessage,
  ConfigSubCommand,
} from '../../src/ctap/authenticator-config.js';
import { makePinUvAuthToken } from '../../src/ctap/client-pin.js';
import { encodeCbor } from '../../src/ctap/cbor.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapError } from '../../src/ctap/errors.js';
import { pinProtocolV1, pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { PERM_ACFG } from '../../src/ctap/permissions.js';
import { bstr, hex, ScriptedChannel, tstr } from './helpers.js';

const FF32 = 'ff'.repeat(32);

describe('authenticatorConfig', () => {
  it('sends no auth members without a token', async () => {
    const channel = new ScriptedChannel([
      { request: '0d a1 0102', reply: '00' },
      { request: '0d a1 0101', reply: '00' },
      { request: '0d a2 0103 02 a1 0106', reply: '00' },
    ]);
    const config = new AuthenticatorConfig(new Ctap2(channel));
    await config.toggleAlwaysUv();
    await config.enableEnterpriseAttestation();
    await config.setMinPinLength({ newMinPinLength: 6 });
    channel.done();
  });

  it('authenticates 32×0xff || 0x0d || subCommand || CBOR(params) with the token', async () => {
    const token = makePinUvAuthToken(pinProtocolV2, new Uint8Array(32).fill(0x42), PERM_ACFG);
    const params = buildSetMinPinLengthParams({ minPinLengthRpIds: ['a.example', 'b.example'], forceChangePin: false });
    const message = `${FF32}0d03` + `a2 0282${tstr('a.example')}${tstr('b.example')} 03f4`.replace(/\s/g, '');
    expect(hex(configMessage(ConfigSubCommand.setMinPINLength, params))).toBe(message);
    const mac = hex(pinProtocolV2.authenticate(token.token, Buffer.from(message, 'hex')));
    const channel = new ScriptedChannel([
      { request: `0d a4 0103 02 a2 0282${tstr('a.example')}${tstr('b.example')} 03f4 0302 04${bstr(mac)}`, reply: '00' },
    ]);
    await new AuthenticatorConfig(new Ctap2(channel), token).setMinPinLength({ minPinLengthRpIds: ['a.example', 'b.example'], forceChangePin: false });
    channel.done();
  });

  it('uses the token protocol for pinUvAuthProtocol and a 16-byte MAC for protocol 1', () => {
    const token = makePinUvAuthToken(pinProtocolV1, new Uint8Array(16).fill(1), PERM_ACFG);
    const req = buildConfigRequest(ConfigSubCommand.toggleAlwaysUv, undefined, token);
    expect(req.get(3)).toBe(1);
    expect((req.get(4) as Uint8Array).length).toBe(16);
    expect(hex(encodeCbor(req)).startsWith('a3010203010450')).toBe(true);
  });

  it('omits subCommandParams when setMinPINLength has no members', () => {
    expect(buildSetMinPinLengthParams({})).toBeUndefined();
    expect(hex(configMessage(ConfigSubCommand.setMinPINLength))).toBe(`${FF32}0d03`);
    expect(() => buildSetMinPinLengthParams({ newMinPinLength: -1 })).toThrow(RangeError);
  });

  it('surfaces refusals as CtapError', async () => {
    const channel = new ScriptedChannel([{ request: '0d a1 0102', reply: '36' }]);
    const e = await new AuthenticatorConfig(new Ctap2(channel)).toggleAlwaysUv().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CtapError);
    expect((e as CtapError).kind).toBe('pin-required');
    expect((e as CtapError).statusName).toBe('CTAP2_ERR_PUAT_REQUIRED');
  });
});
