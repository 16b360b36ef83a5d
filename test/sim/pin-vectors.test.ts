/**
 * Known-answer vectors for PIN/UV auth protocols 1 and 2 (computed with
 * python-fido2, test/vectors or FIDO2_MANAGE_VECTORS): the key's own protocol code with the
 * vectors' authenticator private key and IVs injected.
 */
import { describe, expect, it } from 'vitest';
import { handleCtapRequest } from '../../src/sim/authenticator.js';
import { encodeCbor, decodeCbor, type Encodable } from '../../src/sim/cbor.js';
import { pinMatches, pinRecord } from '../../src/sim/state.js';
import { authenticate, decrypt, encrypt, pinHash, publicKeyOf, sharedSecret, verify } from '../../src/sim/pin-protocol.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { loadVectors } from '../helpers/vectors.js';


const cases = loadVectors();
const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each(cases.map((c, i) => [i, c] as const))('vector %i', (_i, c) => {
  const p = c.protocol;
  const priv = h(c.authenticatorPrivateKey);
  const platform = { x: h(c.platformKeyAgreement.x), y: h(c.platformKeyAgreement.y) };
  const secret = sharedSecret(p, priv, platform);

  it(`protocol ${p}: public key and shared secret`, () => {
    const pub = publicKeyOf(priv);
    expect(hex(pub.x)).toBe(c.authenticatorPublicKey.x);
    expect(hex(pub.y)).toBe(c.authenticatorPublicKey.y);
    expect(hex(secret)).toBe(c.sharedSecret);
  });

  it(`protocol ${p}: decrypts pinHashEnc, newPinEnc and verifies the setPIN/changePIN params`, () => {
    expect(hex(pinHash(utf8(c.getPinToken.pin)))).toBe(c.getPinToken.pinHash16);
    expect(hex(decrypt(p, secret, h(c.getPinToken.pinHashEnc)))).toBe(c.getPinToken.pinHash16);
    expect(hex(decrypt(p, secret, h(c.setPin.newPinEnc)))).toBe(c.setPin.paddedNewPin);
    expect(verify(p, secret, h(c.setPin.newPinEnc), h(c.setPin.pinUvAuthParam))).toBe(true);
    const changeMsg = new Uint8Array([...h(c.changePin.newPinEnc), ...h(c.changePin.pinHashEnc)]);
    expect(verify(p, secret, changeMsg, h(c.changePin.pinUvAuthParam))).toBe(true);
    expect(hex(decrypt(p, secret, h(c.changePin.pinHashEnc)))).toBe(pinHashHex(c.changePin.currentPin));
    // One flipped bit must fail.
    const bad = h(c.setPin.pinUvAuthParam);
    bad[0]! ^= 1;
    expect(verify(p, secret, h(c.setPin.newPinEnc), bad)).toBe(false);
  });

  it(`protocol ${p}: encrypts the token to tokenEnc with the vector's IV`, () => {
    const iv = p === 2 ? h(c.ivsUsedInOrder[4]!) : undefined;
    expect(hex(encrypt(p, secret, h(c.pinUvAuthToken.token), iv))).toBe(c.pinUvAuthToken.tokenEnc);
    if (p === 2) expect(c.pinUvAuthToken.tokenEnc.startsWith(c.ivsUsedInOrder[4]!)).toBe(true);
  });

  it(`protocol ${p}: verifies the authenticatorConfig pinUvAuthParams with the token`, () => {
    const token = h(c.pinUvAuthToken.token);
    for (const [name, v] of Object.entries(c.authenticatorConfig)) {
      expect(hex(authenticate(p, token, h(v.message))), name).toBe(v.pinUvAuthParam);
      expect(verify(p, token, h(v.message), h(v.pinUvAuthParam))).toBe(true);
    }
  });

  it(`protocol ${p}: the key's clientPIN accepts the vectors' requests end to end`, async () => {
    const key = new VirtualKey();
    const ctx = key.context({ signal: new AbortController().signal, setWaitingForUser: () => undefined });
    ctx.volatile.keyAgreement.set(p, priv);
    const keyAgreement = new Map<number, Encodable>([[1, 2], [3, -25], [-1, 1], [-2, platform.x], [-3, platform.y]]);
    const run = async (params: Map<number, Encodable>): Promise<Uint8Array> =>
      handleCtapRequest(ctx, new Uint8Array([6, ...encodeCbor(params)]));
    // setPIN with newPinEnc / pinUvAuthParam from the vector.
    let r = await run(new Map<number, Encodable>([[1, p], [2, 3], [3, keyAgreement], [4, h(c.setPin.pinUvAuthParam)], [5, h(c.setPin.newPinEnc)]]));
    expect(r[0]).toBe(0);
    expect(pinMatches(ctx.state.pin!, h(pinHashHex(c.setPin.newPin)))).toBe(true);
    // Now make the current PIN the vector's getPinToken PIN and take a token with its pinHashEnc.
    ctx.state.pin = pinRecord(h(c.getPinToken.pinHash16), [...c.getPinToken.pin].length);
    r = await run(new Map<number, Encodable>([[1, p], [2, 9], [3, keyAgreement], [6, h(c.getPinToken.pinHashEnc)], [9, 0x20]]));
    expect(r[0]).toBe(0);
    const tokenEnc = (decodeCbor(r.subarray(1)) as Map<number, Uint8Array>).get(2)!;
    expect(hex(decrypt(p, secret, tokenEnc))).toBe(hex(ctx.volatile.token!.value));
    // changePIN with the vector's request.
    r = await run(
      new Map<number, Encodable>([[1, p], [2, 4], [3, keyAgreement], [4, h(c.changePin.pinUvAuthParam)], [5, h(c.changePin.newPinEnc)], [6, h(c.changePin.pinHashEnc)]]),
    );
    expect(r[0]).toBe(0);
    expect(pinMatches(ctx.state.pin!, h(pinHashHex(c.changePin.newPin)))).toBe(true);
  });

  it(`protocol ${p}: the key's authenticatorConfig accepts the vectors' pinUvAuthParams`, async () => {
    const key = new VirtualKey();
    const ctx = key.context({ signal: new AbortController().signal, setWaitingForUser: () => undefined });
    ctx.state.pin = pinRecord(h(c.getPinToken.pinHash16), [...c.getPinToken.pin].length);
    ctx.volatile.token = { protocol: p, value: h(c.pinUvAuthToken.token), permissions: 0x20, rpId: undefined, userPresent: false };
    const send = (sub: number, rawParams: Uint8Array | undefined, param: string): Promise<Uint8Array> => {
      // Built by hand so subCommandParams travel exactly as in the vector's message.
      const entries = rawParams ? 4 : 3;
      const body = [0xa0 + entries, 0x01, sub];
      if (rawParams) body.push(0x02, ...rawParams);
      body.push(0x03, p, 0x04, ...encodeCbor(h(param)));
      return handleCtapRequest(ctx, new Uint8Array([0x0d, ...body]));
    };
    const v = c.authenticatorConfig;
    expect((await send(2, undefined, v.toggleAlwaysUv!.pinUvAuthParam))[0]).toBe(0);
    expect(ctx.state.alwaysUv).toBe(true);
    expect((await send(1, undefined, v.enableEnterpriseAttestation!.pinUvAuthParam))[0]).toBe(0);
    expect(ctx.state.enterpriseAttestation).toBe(true);
    const raw = h(v.setMinPINLength!.message).subarray(34);
    expect((await send(3, raw, v.setMinPINLength!.pinUvAuthParam))[0]).toBe(0);
    expect(ctx.state.minPinLength).toBe(8);
    expect(ctx.state.minPinLengthRpIds).toEqual(['example.com']);
    expect(ctx.state.forcePinChange).toBe(true);
    // The same request with a parameter for another subcommand is refused.
    expect((await send(2, undefined, v.enableEnterpriseAttestation!.pinUvAuthParam))[0]).toBe(0x33);
  });
});

function pinHashHex(pin: string): string {
  return hex(pinHash(utf8(pin)));
}
