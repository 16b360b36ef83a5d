import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { AuthDataError, cborItemLength, parseAuthenticatorData, parseFlags } from '../../src/ctap/auth-data.js';
import { encodeCbor, type CborValue } from '../../src/ctap/cbor.js';
import { bstr, coseHex, hex, tstr, unhex } from './helpers.js';

const rpIdHash = hex(sha256(new TextEncoder().encode('uv-check.invalid')));
const aaguid = 'f1d0f1d05a114e219a0b000000000021';
const credId = '0102030405060708090a0b0c0d0e0f10';
const cose = coseHex('11'.repeat(32), '22'.repeat(32));
/** extensions {"credProtect": 2}, written by hand. */
const extensions = 'a1' + tstr('credProtect') + '02';

const build = (flags: number, tail = ''): Uint8Array => unhex(rpIdHash + flags.toString(16).padStart(2, '0') + '0000002a' + tail);
const attested = aaguid + '0010' + credId + cose;

describe('authenticator data (WebAuthn L2 §6.1)', () => {
  it('reads each flag bit', () => {
    expect(parseFlags(0x01)).toMatchObject({ up: true, uv: false, be: false, bs: false, at: false, ed: false });
    expect(parseFlags(0x04)).toMatchObject({ up: false, uv: true });
    expect(parseFlags(0x08)).toMatchObject({ be: true, bs: false });
    expect(parseFlags(0x18)).toMatchObject({ be: true, bs: true });
    expect(parseFlags(0x40)).toMatchObject({ at: true, ed: false });
    expect(parseFlags(0x80)).toMatchObject({ at: false, ed: true });
    expect(parseFlags(0xc5)).toMatchObject({ up: true, uv: true, at: true, ed: true, raw: 0xc5 });
  });

  it('parses an assertion: rpIdHash, flags, signCount and nothing else', () => {
    const a = parseAuthenticatorData(build(0x05));
    expect(hex(a.rpIdHash)).toBe(rpIdHash);
    expect(a.flags).toMatchObject({ up: true, uv: true, at: false });
    expect(a.signCount).toBe(42);
    expect(a.attestedCredentialData).toBeUndefined();
    expect(a.extensions).toBeUndefined();
  });

  it('parses attested credential data: AAGUID, credential id and the COSE key', () => {
    const a = parseAuthenticatorData(build(0x41, attested));
    const acd = a.attestedCredentialData!;
    expect(acd.aaguidText).toBe('f1d0f1d0-5a11-4e21-9a0b-000000000021');
    expect(hex(acd.credentialId)).toBe(credId);
    expect(acd.publicKey).toMatchObject({ kty: 2, alg: -25, algorithmName: 'ECDH-ES+HKDF-256' });
    expect(hex(acd.publicKey.cose.get(-2) as Uint8Array)).toBe('11'.repeat(32));
  });

  it('parses extensions after the attested credential data, and alone', () => {
    const both = parseAuthenticatorData(build(0xc1, attested + extensions));
    expect(both.extensions?.get('credProtect')).toBe(2);
    expect(hex(both.attestedCredentialData!.credentialId)).toBe(credId);
    const alone = parseAuthenticatorData(build(0x81, extensions));
    expect(alone.extensions?.get('credProtect')).toBe(2);
  });

  it('measures CBOR items without decoding them', () => {
    expect(cborItemLength(unhex(cose), 0)).toBe(cose.length / 2);
    expect(cborItemLength(unhex(extensions + 'ff'), 0)).toBe(extensions.length / 2);
    const nested: CborValue = new Map<CborValue, CborValue>([['a', [1, -300, new Uint8Array(300), 'x']], [7, 2n ** 40n]]);
    expect(cborItemLength(encodeCbor(nested), 0)).toBe(encodeCbor(nested).length);
  });

  it.each([
    ['shorter than 37 bytes', unhex(rpIdHash + '01')],
    ['AT set, nothing follows', build(0x41)],
    ['AT set, AAGUID cut short', build(0x41, aaguid.slice(0, 20))],
    ['credential id length zero', build(0x41, aaguid + '0000' + cose)],
    ['credential id longer than what follows', build(0x41, aaguid + '0100' + credId)],
    ['COSE key truncated', build(0x41, aaguid + '0010' + credId + cose.slice(0, 40))],
    ['COSE key not a map', build(0x41, aaguid + '0010' + credId + bstr('00'))],
    ['COSE key without alg', build(0x41, aaguid + '0010' + credId + 'a10102')],
    ['ED set, nothing follows', build(0x81)],
    ['ED set, extensions truncated', build(0x81, extensions.slice(0, 10))],
    ['extensions not a map', build(0x81, '01')],
    ['trailing bytes after signCount', build(0x01, '00')],
    ['trailing bytes after the extensions', build(0x81, extensions + '00')],
    ['AT clear but attested data present', build(0x01, attested)],
    ['indefinite-length CBOR', build(0x81, 'bf' + tstr('a') + '01ff')],
  ])('refuses %s with a named AuthDataError', (_what, bytes) => {
    let caught: unknown;
    try {
      parseAuthenticatorData(bytes);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AuthDataError);
    expect(caught).toMatchObject({ name: 'AuthDataError', kind: 'transport' });
    expect((caught as Error).message).toMatch(/^The security key sent malformed authenticator data: /);
  });
});
