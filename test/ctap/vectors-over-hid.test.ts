/**
 * The known-answer vectors (test/vectors, see test/helpers/vectors.ts) checked on the wire: ClientPin and
 * AuthenticatorConfig run over the real CTAPHID client on a scripted fake HID
 * device, and every 64-byte report written must equal the vector request
 * framed by the test's own hand-written packet builders.
 */
import { describe, expect, it } from 'vitest';
import { AuthenticatorConfig } from '../../src/ctap/authenticator-config.js';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { PERM_ACFG } from '../../src/ctap/permissions.js';
import { CtapHidDevice } from '../../src/transports/ctaphid/ctaphid.js';
import { CID, fixedRandom, initSteps, message, ScriptedTransport, type Step } from '../transports/ctaphid/scripted-transport.js';
import { baseInfo, bstr, coseHex, loadVectors, queuedRandom, unhex } from './helpers.js';

const CBOR = 0x90;

function exchange(requestHex: string, replyHex: string): Step[] {
  const req = message(CID, CBOR, unhex(requestHex));
  return [...req.map((r) => ({ expect: r }) as Step), { reply: message(CID, CBOR, unhex(replyHex)) }];
}

describe.each(loadVectors().map((v, i) => [`#${i} protocol ${v.protocol}`, v] as const))('vectors over CTAPHID %s', (_n, v) => {
  it('writes exactly the vector requests for token, toggleAlwaysUv, setPIN and changePIN', async () => {
    const P = `0${v.protocol}`;
    const plat = coseHex(v.platformKeyAgreement.x, v.platformKeyAgreement.y);
    const transport = new ScriptedTransport([
      ...initSteps(),
      ...exchange(`06 a2 01${P} 0202`, `00 a1 01` + coseHex(v.authenticatorPublicKey.x, v.authenticatorPublicKey.y)),
      ...exchange(`06 a5 01${P} 0209 03${plat} 06${bstr(v.getPinToken.pinHashEnc)} 09 1820`, `00 a1 02` + bstr(v.pinUvAuthToken.tokenEnc)),
      ...exchange(`0d a3 0102 03${P} 04${bstr(v.authenticatorConfig.toggleAlwaysUv.pinUvAuthParam)}`, '00'),
      ...exchange(`06 a5 01${P} 0203 03${plat} 04${bstr(v.setPin.pinUvAuthParam)} 05${bstr(v.setPin.newPinEnc)}`, '00'),
      ...exchange(
        `06 a6 01${P} 0204 03${plat} 04${bstr(v.changePin.pinUvAuthParam)} 05${bstr(v.changePin.newPinEnc)} 06${bstr(v.changePin.pinHashEnc)}`,
        '00',
      ),
    ]);
    const device = await CtapHidDevice.open(transport, { random: fixedRandom, timeoutMs: 1000 });
    const ctap = new Ctap2(device);
    const cp = new ClientPin(ctap, baseInfo({ pinUvAuthProtocols: [v.protocol] }), {
      platformPrivateKey: unhex(v.platformPrivateKey),
      random: queuedRandom(v.ivsUsedInOrder.slice(0, 4)),
    });
    const token = await cp.getPinToken(v.getPinToken.pin, PERM_ACFG);
    await new AuthenticatorConfig(ctap, token).toggleAlwaysUv();
    await cp.setPin(v.setPin.newPin);
    await cp.changePin(v.changePin.currentPin, v.changePin.newPin);
    expect(transport.problems).toEqual([]);
    expect(transport.done).toBe(true);
    expect(device.stats.transactions).toBe(6); // INIT + 5 CBOR: one key agreement for every step
  });
});
