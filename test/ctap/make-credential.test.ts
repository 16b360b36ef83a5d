import { describe, expect, it } from 'vitest';
import { ClientPin } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { decodeCborMap, encodeCbor } from '../../src/ctap/cbor.js';
import { buildGetAssertionParams, getAssertion, getNextAssertion } from '../../src/ctap/get-assertion.js';
import { buildMakeCredentialParams, makeCredential } from '../../src/ctap/make-credential.js';
import { rpToken, userVerificationMethod } from '../../src/ctap/user-verification.js';
import { CtapError } from '../../src/ctap/errors.js';
import { CtapHidDevice } from '../../src/transports/ctaphid/ctaphid.js';
import { openSimTransport } from '../../src/transports/in-process/sim-transport.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { hex } from './helpers.js';

const hash = new Uint8Array(32).fill(7);
const rp = { id: 'uv-check.invalid', name: 'uv-check' };
const user = { id: Uint8Array.of(1, 2, 3), name: 'probe' };

async function open(options: VirtualKeyOptions = {}) {
  const key = new VirtualKey(options);
  const device = await CtapHidDevice.open(await openSimTransport(key));
  const ctap = new Ctap2(device);
  return { key, device, ctap, info: await ctap.getInfo() };
}

async function statusOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof CtapError) return e.statusName;
    throw e;
  }
}

describe('request builders (CTAP 2.1 §6.1, §6.2)', () => {
  it('writes the makeCredential members under their keys, extensions passed through', () => {
    const p = buildMakeCredentialParams({ clientDataHash: hash, rp, user, options: { rk: false }, excludeList: [{ id: Uint8Array.of(9) }], extensions: new Map([['credProtect', 2]]) });
    const m = decodeCborMap(encodeCbor(p));
    expect([...m.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(hex(m.get(1) as Uint8Array)).toBe('07'.repeat(32));
    expect((m.get(2) as Map<string, string>).get('id')).toBe('uv-check.invalid');
    expect((m.get(4) as Map<string, unknown>[])[0]!.get('alg')).toBe(-7);
    expect((m.get(6) as Map<string, number>).get('credProtect')).toBe(2);
    expect((m.get(7) as Map<string, boolean>).get('rk')).toBe(false);
  });

  it('refuses locally what no key accepts', () => {
    expect(() => buildMakeCredentialParams({ clientDataHash: new Uint8Array(31), rp, user })).toThrow(/32 bytes/);
    expect(() => buildMakeCredentialParams({ clientDataHash: hash, rp: { id: '' }, user })).toThrow(/rp.id/);
    expect(() => buildMakeCredentialParams({ clientDataHash: hash, rp, user: { id: new Uint8Array(65) } })).toThrow(/user.id/);
    expect(() => buildGetAssertionParams({ rpId: '', clientDataHash: hash })).toThrow(/rpId/);
  });

  it('writes getAssertion options only when given', () => {
    expect([...buildGetAssertionParams({ rpId: rp.id, clientDataHash: hash }).keys()]).toEqual([1, 2]);
    const m = decodeCborMap(encodeCbor(buildGetAssertionParams({ rpId: rp.id, clientDataHash: hash, allowList: [{ id: Uint8Array.of(1) }], options: { up: false } })));
    expect((m.get(5) as Map<string, boolean>).get('up')).toBe(false);
  });
});

describe('against the virtual key', () => {
  it('registers without UV and signs in with and without a touch on a key without PIN', async () => {
    const { device, ctap } = await open();
    const mc = await makeCredential(ctap, { clientDataHash: hash, rp, user });
    expect(mc.authData.flags).toMatchObject({ up: true, uv: false, at: true });
    const id = mc.authData.attestedCredentialData!.credentialId;
    const ga = await getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, allowList: [{ id }] });
    expect(ga.authData.flags).toMatchObject({ up: true, uv: false, at: false });
    expect(hex(ga.authData.rpIdHash)).toBe(hex(mc.authData.rpIdHash));
    const silent = await getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, allowList: [{ id }], options: { up: false } });
    expect(silent.authData.flags).toMatchObject({ up: false, uv: false });
    await device.close();
  });

  it('needs a token scoped to the RP ID once a PIN is set; the token gives UV', async () => {
    const { device, ctap } = await open();
    await new ClientPin(ctap, await ctap.getInfo()).setPin('1234');
    const info = await ctap.getInfo();
    const cp = new ClientPin(ctap, info);
    expect(userVerificationMethod(info)).toBe('pin-token');
    expect(await statusOf(makeCredential(ctap, { clientDataHash: hash, rp, user, options: { rk: true } }))).toBe('CTAP2_ERR_PUAT_REQUIRED');
    const mc = await makeCredential(ctap, { clientDataHash: hash, rp, user, token: await rpToken(cp, 'pin-token', 'mc', rp.id, '1234') });
    expect(mc.authData.flags).toMatchObject({ up: true, uv: true });
    const id = mc.authData.attestedCredentialData!.credentialId;
    const other = await rpToken(cp, 'pin-token', 'ga', 'other.invalid', '1234');
    expect(await statusOf(getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, allowList: [{ id }], token: other }))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    const ga = await getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, allowList: [{ id }], token: await rpToken(cp, 'pin-token', 'ga', rp.id, '1234') });
    expect(ga.authData.flags).toMatchObject({ up: true, uv: true });
    await device.close();
  });

  it('a key with makeCredUvNotRqd off wants UV for every registration once protected (§6.1.2 step 8)', async () => {
    const { device, ctap, info } = await open({ makeCredUvNotRqd: false });
    expect(info.options.makeCredUvNotRqd).toBe(false);
    // Unprotected, nothing is needed.
    expect(await statusOf(makeCredential(ctap, { clientDataHash: hash, rp, user }))).toBe('ok');
    await new ClientPin(ctap, info).setPin('1234');
    expect(await statusOf(makeCredential(ctap, { clientDataHash: hash, rp, user }))).toBe('CTAP2_ERR_PUAT_REQUIRED');
    const cp = new ClientPin(ctap, await ctap.getInfo());
    const mc = await makeCredential(ctap, { clientDataHash: hash, rp, user, token: await rpToken(cp, 'pin-token', 'mc', rp.id, '1234') });
    expect(mc.authData.flags).toMatchObject({ up: true, uv: true });
    // Sign-in is not concerned.
    const id = mc.authData.attestedCredentialData!.credentialId;
    expect((await getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, allowList: [{ id }] })).authData.flags).toMatchObject({ up: true, uv: false });
    await device.close();
  });

  it('finds passkeys without an allowList, one after the other (§6.2, §6.3)', async () => {
    const { device, ctap } = await open();
    await new ClientPin(ctap, await ctap.getInfo()).setPin('1234');
    const info = await ctap.getInfo();
    const cp = new ClientPin(ctap, info);
    for (const id of [Uint8Array.of(1), Uint8Array.of(2)]) {
      const mc = await makeCredential(ctap, { clientDataHash: hash, rp, user: { id, name: `u${id[0]}` }, options: { rk: true }, token: await rpToken(cp, 'pin-token', 'mc', rp.id, '1234') });
      expect(mc.authData.flags).toMatchObject({ up: true, uv: true, at: true });
    }
    const first = await getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, token: await rpToken(cp, 'pin-token', 'ga', rp.id, '1234') });
    expect(first.numberOfCredentials).toBe(2);
    const next = await getNextAssertion(ctap);
    expect([first.user?.id[0], next.user?.id[0]].sort()).toEqual([1, 2]);
    expect(hex(next.credential!.id)).not.toBe(hex(first.credential!.id));
    expect(await statusOf(getNextAssertion(ctap))).toBe('CTAP2_ERR_NOT_ALLOWED');
    await device.close();
  });

  it('verifies by built-in UV through getPinUvAuthTokenUsingUvWithPermissions (0x06)', async () => {
    const { device, ctap, info } = await open({ uv: true });
    expect(userVerificationMethod(info)).toBe('uv-token');
    const cp = new ClientPin(ctap, info);
    const mc = await makeCredential(ctap, { clientDataHash: hash, rp, user, token: await rpToken(cp, 'uv-token', 'mc', rp.id) });
    expect(mc.authData.flags).toMatchObject({ up: true, uv: true });
    await device.close();
  });

  it('verifies by the uv option on a CTAP 2.0 key with built-in UV', async () => {
    const { device, ctap, info } = await open({ uv: true, profile: 'fido-2.0' });
    expect(userVerificationMethod(info)).toBe('uv-option');
    const mc = await makeCredential(ctap, { clientDataHash: hash, rp, user, options: { uv: true } });
    expect(mc.authData.flags).toMatchObject({ up: true, uv: true });
    const id = mc.authData.attestedCredentialData!.credentialId;
    const ga = await getAssertion(ctap, { rpId: rp.id, clientDataHash: hash, allowList: [{ id }], options: { uv: true } });
    expect(ga.authData.flags).toMatchObject({ up: true, uv: true });
    await device.close();
  });
});
