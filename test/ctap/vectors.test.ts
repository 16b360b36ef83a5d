/** Known-answer vectors computed with python-fido2 (test/vectors, or ../shared/vectors through FIDO2_MANAGE_VECTORS). */
import { describe, expect, it } from 'vitest';
import { AuthenticatorConfig, buildSetMinPinLengthParams, configMessage, ConfigSubCommand } from '../../src/ctap/authenticator-config.js';
import { ClientPin, padPin, pinHash } from '../../src/ctap/client-pin.js';
import { buildCoseKey } from '../../src/ctap/cose-key.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { pinProtocol } from '../../src/ctap/pin-protocol.js';
import { PERM_ACFG } from '../../src/ctap/permissions.js';
import { baseInfo, bstr, coseHex, hex, loadVectors, queuedRandom, ScriptedChannel, unhex } from './helpers.js';

const cases = loadVectors();

describe('pin-protocols.json vectors', () => {
  it('has cases for both protocols', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
    expect(new Set(cases.map((c) => c.protocol))).toEqual(new Set([1, 2]));
  });

  describe.each(cases.map((c, i) => [`#${i} protocol ${c.protocol} pin ${JSON.stringify(c.getPinToken.pin)}`, c] as const))('%s', (_name, v) => {
    const p = pinProtocol(v.protocol);
    const iv = (i: number) => (v.protocol === 2 ? unhex(v.ivsUsedInOrder[i]!) : undefined);
    const authCose = buildCoseKey({ x: unhex(v.authenticatorPublicKey.x), y: unhex(v.authenticatorPublicKey.y) });
    const secret = unhex(v.sharedSecret);

    it('shared secret and platform key agreement', () => {
      const enc = p.encapsulate(authCose, unhex(v.platformPrivateKey));
      expect(hex(enc.sharedSecret)).toBe(v.sharedSecret);
      expect(hex(enc.keyAgreement.get(-2) as Uint8Array)).toBe(v.platformKeyAgreement.x);
      expect(hex(enc.keyAgreement.get(-3) as Uint8Array)).toBe(v.platformKeyAgreement.y);
      // The key's side of the same ECDH must agree.
      const platformCose = buildCoseKey({ x: unhex(v.platformKeyAgreement.x), y: unhex(v.platformKeyAgreement.y) });
      expect(hex(p.encapsulate(platformCose, unhex(v.authenticatorPrivateKey)).sharedSecret)).toBe(v.sharedSecret);
    });

    it('pinHash and pinHashEnc', () => {
      expect(hex(pinHash(v.getPinToken.pin))).toBe(v.getPinToken.pinHash16);
      expect(hex(p.encrypt(secret, pinHash(v.getPinToken.pin), iv(0)))).toBe(v.getPinToken.pinHashEnc);
    });

    it('setPIN newPinEnc and pinUvAuthParam', () => {
      expect(hex(padPin(v.setPin.newPin))).toBe(v.setPin.paddedNewPin);
      const newPinEnc = p.encrypt(secret, padPin(v.setPin.newPin), iv(1));
      expect(hex(newPinEnc)).toBe(v.setPin.newPinEnc);
      expect(hex(p.authenticate(secret, newPinEnc))).toBe(v.setPin.pinUvAuthParam);
    });

    it('changePIN pinHashEnc, newPinEnc and pinUvAuthParam', () => {
      const pinHashEnc = p.encrypt(secret, pinHash(v.changePin.currentPin), iv(2));
      const newPinEnc = p.encrypt(secret, padPin(v.changePin.newPin), iv(3));
      expect(hex(pinHashEnc)).toBe(v.changePin.pinHashEnc);
      expect(hex(newPinEnc)).toBe(v.changePin.newPinEnc);
      expect(hex(p.authenticate(secret, Buffer.concat([newPinEnc, pinHashEnc])))).toBe(v.changePin.pinUvAuthParam);
    });

    it('token decryption (and the key-side encryption it inverts)', () => {
      expect(hex(p.decrypt(secret, unhex(v.pinUvAuthToken.tokenEnc)))).toBe(v.pinUvAuthToken.token);
      expect(hex(p.encrypt(secret, unhex(v.pinUvAuthToken.token), iv(4)))).toBe(v.pinUvAuthToken.tokenEnc);
    });

    it('authenticatorConfig messages and pinUvAuthParams', () => {
      const token = unhex(v.pinUvAuthToken.token);
      const ac = v.authenticatorConfig;
      const msgs = {
        toggleAlwaysUv: configMessage(ConfigSubCommand.toggleAlwaysUv),
        enableEnterpriseAttestation: configMessage(ConfigSubCommand.enableEnterpriseAttestation),
        setMinPINLength: configMessage(
          ConfigSubCommand.setMinPINLength,
          buildSetMinPinLengthParams({ newMinPinLength: 8, minPinLengthRpIds: ['example.com'], forceChangePin: true }),
        ),
      };
      for (const k of ['toggleAlwaysUv', 'enableEnterpriseAttestation', 'setMinPINLength'] as const) {
        expect(hex(msgs[k]), k).toBe(ac[k].message);
        expect(hex(p.authenticate(token, msgs[k])), k).toBe(ac[k].pinUvAuthParam);
      }
    });

    it('full request bytes: one key agreement for token, config, setPIN and changePIN', async () => {
      const P = `0${v.protocol}`;
      const platCose = coseHex(v.platformKeyAgreement.x, v.platformKeyAgreement.y);
      const ac = v.authenticatorConfig;
      const channel = new ScriptedChannel([
        // getKeyAgreement {1: protocol, 2: 2}
        { request: `06 a2 01${P} 0202`, reply: `00 a1 01` + coseHex(v.authenticatorPublicKey.x, v.authenticatorPublicKey.y) },
        // getPinUvAuthTokenUsingPinWithPermissions {1, 2: 9, 3: keyAgreement, 6: pinHashEnc, 9: acfg}
        {
          request: `06 a5 01${P} 0209 03${platCose} 06${bstr(v.getPinToken.pinHashEnc)} 09 1820`,
          reply: `00 a1 02` + bstr(v.pinUvAuthToken.tokenEnc),
        },
        // authenticatorConfig {1: subCommand, 3: protocol, 4: pinUvAuthParam}
        { request: `0d a3 0102 03${P} 04${bstr(ac.toggleAlwaysUv.pinUvAuthParam)}`, reply: '00' },
        { request: `0d a3 0101 03${P} 04${bstr(ac.enableEnterpriseAttestation.pinUvAuthParam)}`, reply: '00' },
        {
          // {1: 3, 2: {1: 8, 2: ["example.com"], 3: true}, 3: protocol, 4: param}
          request: `0d a4 0103 02 a3 0108 0281 6b6578616d706c652e636f6d 03f5 03${P} 04${bstr(ac.setMinPINLength.pinUvAuthParam)}`,
          reply: '00',
        },
        // setPIN {1, 2: 3, 3: keyAgreement, 4: pinUvAuthParam, 5: newPinEnc}
        {
          request: `06 a5 01${P} 0203 03${platCose} 04${bstr(v.setPin.pinUvAuthParam)} 05${bstr(v.setPin.newPinEnc)}`,
          reply: '00',
        },
        // changePIN {1, 2: 4, 3, 4, 5: newPinEnc, 6: pinHashEnc}
        {
          request: `06 a6 01${P} 0204 03${platCose} 04${bstr(v.changePin.pinUvAuthParam)} 05${bstr(v.changePin.newPinEnc)} 06${bstr(v.changePin.pinHashEnc)}`,
          reply: '00',
        },
      ]);
      const ctap = new Ctap2(channel);
      const cp = new ClientPin(ctap, baseInfo({ pinUvAuthProtocols: [v.protocol] }), {
        platformPrivateKey: unhex(v.platformPrivateKey),
        random: queuedRandom(v.ivsUsedInOrder.slice(0, 4)),
      });
      expect(cp.protocol.version).toBe(v.protocol);
      const token = await cp.getPinToken(v.getPinToken.pin, PERM_ACFG);
      expect(hex(token.token)).toBe(v.pinUvAuthToken.token);
      expect(token.permissions).toBe(PERM_ACFG);
      const config = new AuthenticatorConfig(ctap, token);
      await config.toggleAlwaysUv();
      await config.enableEnterpriseAttestation();
      await config.setMinPinLength({ newMinPinLength: 8, minPinLengthRpIds: ['example.com'], forceChangePin: true });
      await cp.setPin(v.setPin.newPin);
      await cp.changePin(v.changePin.currentPin, v.changePin.newPin);
      channel.done();
    });

    it('full request bytes: legacy getPinToken (0x05) without pinUvAuthToken option', async () => {
      const P = `0${v.protocol}`;
      const channel = new ScriptedChannel([
        { request: `06 a2 01${P} 0202`, reply: `00 a1 01` + coseHex(v.authenticatorPublicKey.x, v.authenticatorPublicKey.y) },
        {
          request: `06 a4 01${P} 0205 03${coseHex(v.platformKeyAgreement.x, v.platformKeyAgreement.y)} 06${bstr(v.getPinToken.pinHashEnc)}`,
          reply: `00 a1 02` + bstr(v.pinUvAuthToken.tokenEnc),
        },
      ]);
      const cp = new ClientPin(new Ctap2(channel), baseInfo({ versions: ['FIDO_2_0'], options: { clientPin: true }, pinUvAuthProtocols: [v.protocol] }), {
        platformPrivateKey: unhex(v.platformPrivateKey),
        random: queuedRandom(v.ivsUsedInOrder.slice(0, 1)),
      });
      const token = await cp.getPinToken(v.getPinToken.pin, PERM_ACFG, 'example.com');
      expect(hex(token.token)).toBe(v.pinUvAuthToken.token);
      expect(token.rpId).toBeUndefined(); // the legacy command cannot scope a token
      channel.done();
    });
  });
});
