import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import type { CborValue } from '../../src/ctap/cbor.js';
import { buildCoseKey, parseCoseKey } from '../../src/ctap/cose-key.js';
import { pinProtocolV1, pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { parseTokenReply } from '../../src/ctap/client-pin.js';
import { Fido2Error } from '../../src/errors.js';
import { hex, unhex } from './helpers.js';

const peerPriv = unhex('42b1957e9b9885e621bce7e0c9d8ab1798c256372659249f012f7db2e9c2e9df');
const peerPub = p256.getPublicKey(peerPriv, false);
const X = peerPub.slice(1, 33);
const Y = peerPub.slice(33);

function malformedError(fn: () => unknown): Fido2Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Fido2Error);
  expect((caught as Fido2Error).kind).toBe('transport');
  expect((caught as Error).message).toMatch(/^The security key sent a malformed reply: /);
  return caught as Fido2Error;
}

describe.each([pinProtocolV1, pinProtocolV2])('PIN protocol $version', (p) => {
  it('rejects a point that is not on P-256', () => {
    const y = Uint8Array.from(Y);
    y[31] ^= 1;
    const e = malformedError(() => p.encapsulate(buildCoseKey({ x: X, y })));
    expect(e.message).toMatch(/not on curve/);
  });

  it('rejects the point at infinity and coordinates beyond the field', () => {
    malformedError(() => p.encapsulate(buildCoseKey({ x: new Uint8Array(32), y: new Uint8Array(32) })));
    malformedError(() => p.encapsulate(buildCoseKey({ x: new Uint8Array(32).fill(0xff), y: Y })));
  });

  it.each([
    ['not a map', [1, 2] as CborValue],
    ['wrong kty', new Map<CborValue, CborValue>([[1, 1], [3, -25], [-1, 1], [-2, X], [-3, Y]])],
    ['wrong curve', new Map<CborValue, CborValue>([[1, 2], [3, -25], [-1, 2], [-2, X], [-3, Y]])],
    ['missing y', new Map<CborValue, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, X]])],
    ['short x', new Map<CborValue, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, X.slice(1)], [-3, Y]])],
    ['text x', new Map<CborValue, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, hex(X)], [-3, Y]])],
  ])('rejects a malformed COSE key: %s', (_name, key) => {
    malformedError(() => p.encapsulate(key));
  });

  it('agrees with the key side and returns a COSE key of the platform public key', () => {
    const enc = p.encapsulate(buildCoseKey({ x: X, y: Y }));
    expect(enc.sharedSecret.length).toBe(p.version === 1 ? 32 : 64);
    const plat = parseCoseKey(enc.keyAgreement);
    expect(enc.keyAgreement.get(1)).toBe(2);
    expect(enc.keyAgreement.get(3)).toBe(-25);
    expect(enc.keyAgreement.get(-1)).toBe(1);
    const keySide = p.encapsulate(buildCoseKey(plat), peerPriv);
    expect(hex(keySide.sharedSecret)).toBe(hex(enc.sharedSecret));
    // A fresh platform key each time when none is injected.
    expect(hex(p.encapsulate(buildCoseKey({ x: X, y: Y })).sharedSecret)).not.toBe(hex(enc.sharedSecret));
  });

  it('decrypt inverts encrypt and checks lengths', () => {
    const secret = new Uint8Array(p.version === 1 ? 32 : 64).fill(7);
    const data = new Uint8Array(48).fill(3);
    const ct = p.encrypt(secret, data);
    expect(ct.length).toBe(p.version === 1 ? 48 : 64);
    expect(hex(p.decrypt(secret, ct))).toBe(hex(data));
    malformedError(() => p.decrypt(secret, ct.slice(0, ct.length - 1)));
    malformedError(() => p.decrypt(secret, new Uint8Array(0)));
    if (p.version === 2) malformedError(() => p.decrypt(secret, new Uint8Array(16)));
    expect(() => p.encrypt(secret, new Uint8Array(15))).toThrow(RangeError);
  });

  it('authenticate has the protocol length', () => {
    const mac = p.authenticate(new Uint8Array(32), new Uint8Array([1]));
    expect(mac.length).toBe(p.version === 1 ? 16 : 32);
  });
});

describe('protocol differences', () => {
  it('protocol 1 uses a zero IV, protocol 2 a random IV prefix', () => {
    const block = new Uint8Array(16);
    expect(hex(pinProtocolV1.encrypt(new Uint8Array(32), block))).toBe(hex(pinProtocolV1.encrypt(new Uint8Array(32), block)));
    const a = pinProtocolV2.encrypt(new Uint8Array(64), block);
    const b = pinProtocolV2.encrypt(new Uint8Array(64), block);
    expect(a.length).toBe(32);
    expect(hex(a.slice(0, 16))).not.toBe(hex(b.slice(0, 16)));
    const iv = unhex('000102030405060708090a0b0c0d0e0f');
    expect(hex(pinProtocolV2.encrypt(new Uint8Array(64), block, iv).slice(0, 16))).toBe(hex(iv));
  });

  it('protocol 2 HMACs with the first half of the shared secret and encrypts with the second', () => {
    const secret = Uint8Array.from({ length: 64 }, (_, i) => i);
    const msg = new Uint8Array([9]);
    expect(hex(pinProtocolV2.authenticate(secret, msg))).toBe(hex(pinProtocolV2.authenticate(secret.slice(0, 32), msg)));
    const iv = new Uint8Array(16);
    const other = Uint8Array.from(secret);
    other[0] ^= 1; // only the HMAC half changes
    expect(hex(pinProtocolV2.encrypt(other, new Uint8Array(16), iv))).toBe(hex(pinProtocolV2.encrypt(secret, new Uint8Array(16), iv)));
  });
});

describe('token length check', () => {
  const reply = (tokenEnc: Uint8Array) => new Map<CborValue, CborValue>([[2, tokenEnc]]);
  it('protocol 1 accepts 16 or 32 bytes only', () => {
    const s = new Uint8Array(32).fill(1);
    expect(parseTokenReply(pinProtocolV1, s, reply(pinProtocolV1.encrypt(s, new Uint8Array(16)))).length).toBe(16);
    expect(parseTokenReply(pinProtocolV1, s, reply(pinProtocolV1.encrypt(s, new Uint8Array(32)))).length).toBe(32);
    malformedError(() => parseTokenReply(pinProtocolV1, s, reply(pinProtocolV1.encrypt(s, new Uint8Array(48)))));
    malformedError(() => parseTokenReply(pinProtocolV1, s, reply(new Uint8Array(20))));
  });
  it('protocol 2 accepts 32 bytes only', () => {
    const s = new Uint8Array(64).fill(1);
    expect(parseTokenReply(pinProtocolV2, s, reply(pinProtocolV2.encrypt(s, new Uint8Array(32)))).length).toBe(32);
    const e = malformedError(() => parseTokenReply(pinProtocolV2, s, reply(pinProtocolV2.encrypt(s, new Uint8Array(16)))));
    expect(e.message).toMatch(/16 bytes/);
    malformedError(() => parseTokenReply(pinProtocolV2, s, reply(pinProtocolV2.encrypt(s, new Uint8Array(64)))));
    malformedError(() => parseTokenReply(pinProtocolV2, s, new Map()));
    malformedError(() => parseTokenReply(pinProtocolV2, s, undefined));
  });
});
