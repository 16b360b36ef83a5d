import { describe, expect, it } from 'vitest';
import { encodeCbor, type CborValue } from '../../src/ctap/cbor.js';
import {
  GetInfoKey,
  parseGetInfo,
  preferredPinProtocol,
  supportsCtap21,
  supportsPinProtocol,
  toJson,
} from '../../src/ctap/get-info.js';
import { Fido2Error } from '../../src/errors.js';
import { baseInfo, unhex } from './helpers.js';

const AAGUID = unhex('2fc0579f811347eab116bb5a8db9202a');

function fullInfo(): Map<CborValue, CborValue> {
  return new Map<CborValue, CborValue>([
    [0x01, ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']],
    [0x02, ['credProtect', 'hmac-secret', 'minPinLength']],
    [0x03, AAGUID],
    [0x04, new Map<CborValue, CborValue>([['rk', true], ['clientPin', false], ['alwaysUv', false], ['pinUvAuthToken', true]])],
    [0x05, 1200],
    [0x06, [2, 1]],
    [0x07, 8],
    [0x08, 128],
    [0x09, ['usb', 'nfc']],
    [0x0a, [new Map<CborValue, CborValue>([['alg', -7], ['type', 'public-key']]), new Map<CborValue, CborValue>([['alg', -8], ['type', 'public-key']])]],
    [0x0b, 1024],
    [0x0c, false],
    [0x0d, 6],
    [0x0e, 0x050402],
    [0x0f, 32],
    [0x10, 2],
    [0x11, 3],
    [0x12, 0x202],
    [0x13, new Map<CborValue, CborValue>([['FIDO', 2], ['FIPS-CMVP-3', 1]])],
    [0x14, 25],
    [0x15, [1, 2n ** 63n + 5n]],
    [0x16, ['packed', 'none']],
    [0x17, 4],
    [0x18, true],
    [0x19, unhex('aa'.repeat(32))],
    [0x1a, ['usb']],
    [0x1b, true],
    [0x1c, new TextEncoder().encode('https://example.com/pin')],
    [0x1d, 63],
    [0x1e, unhex('bb'.repeat(32))],
    [0x1f, [1, 2, 3]],
  ]);
}

function expectMalformed(fn: () => unknown, detail?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'should throw').toBeInstanceOf(Fido2Error);
  expect((caught as Fido2Error).kind).toBe('transport');
  expect((caught as Error).message).toMatch(/^The security key sent a malformed reply: /);
  if (detail) expect((caught as Error).message).toMatch(detail);
}

describe('parseGetInfo', () => {
  it('names every CTAP 2.1 / 2.2 member 0x01..0x1F', () => {
    expect(Object.values(GetInfoKey)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(GetInfoKey).toMatchObject({
      vendorPrototypeConfigCommands: 0x15,
      attestationFormats: 0x16,
      uvCountSinceLastPinEntry: 0x17,
      longTouchForReset: 0x18,
      encIdentifier: 0x19,
      transportsForReset: 0x1a,
      pinComplexityPolicy: 0x1b,
      pinComplexityPolicyURL: 0x1c,
      maxPINLength: 0x1d,
      encCredStoreState: 0x1e,
      authenticatorConfigCommands: 0x1f,
    });
  });

  it('parses every member from CBOR bytes', () => {
    const info = parseGetInfo(encodeCbor(fullInfo()));
    expect(info).toEqual({
      versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'],
      extensions: ['credProtect', 'hmac-secret', 'minPinLength'],
      aaguid: '2fc0579f-8113-47ea-b116-bb5a8db9202a',
      aaguidBytes: AAGUID,
      options: { rk: true, clientPin: false, alwaysUv: false, pinUvAuthToken: true },
      maxMsgSize: 1200,
      pinUvAuthProtocols: [2, 1],
      maxCredentialCountInList: 8,
      maxCredentialIdLength: 128,
      transports: ['usb', 'nfc'],
      algorithms: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -8 },
      ],
      maxSerializedLargeBlobArray: 1024,
      forcePINChange: false,
      minPINLength: 6,
      firmwareVersion: 0x050402,
      maxCredBlobLength: 32,
      maxRPIDsForSetMinPINLength: 2,
      preferredPlatformUvAttempts: 3,
      uvModality: 0x202,
      certifications: { FIDO: 2, 'FIPS-CMVP-3': 1 },
      remainingDiscoverableCredentials: 25,
      vendorPrototypeConfigCommands: [1n, 2n ** 63n + 5n],
      attestationFormats: ['packed', 'none'],
      uvCountSinceLastPinEntry: 4,
      longTouchForReset: true,
      encIdentifier: unhex('aa'.repeat(32)),
      transportsForReset: ['usb'],
      pinComplexityPolicy: true,
      pinComplexityPolicyURL: 'https://example.com/pin',
      maxPINLength: 63,
      encCredStoreState: unhex('bb'.repeat(32)),
      authenticatorConfigCommands: [1, 2, 3],
      unknown: {},
    });
  });

  it('keeps unknown members without complaint', () => {
    const m = fullInfo();
    m.set(0x20, 'future');
    m.set(0x7f, new Map<CborValue, CborValue>([[1, unhex('00ff')]]));
    m.set(-5, true);
    m.set('vendor', 1);
    const info = parseGetInfo(m);
    expect(info.unknown['32']).toBe('future');
    expect((info.unknown['127'] as Map<number, Uint8Array>).get(1)).toEqual(unhex('00ff'));
    expect(info.unknown['-5']).toBe(true);
    expect(info.unknown['"vendor"']).toBe(1);
    expect(info.maxPINLength).toBe(63);
  });

  it('accepts a minimal reply and a text pinComplexityPolicyURL', () => {
    const info = parseGetInfo(new Map<CborValue, CborValue>([[1, ['FIDO_2_0']], [3, AAGUID], [0x1c, 'https://x']]));
    expect(info.options).toEqual({});
    expect(info.pinUvAuthProtocols).toBeUndefined();
    expect(info.pinComplexityPolicyURL).toBe('https://x');
  });

  const wrong: [string, number, CborValue][] = [
    ['versions', 0x01, 'FIDO_2_0'],
    ['versions', 0x01, [1]],
    ['extensions', 0x02, [true]],
    ['aaguid', 0x03, unhex('00'.repeat(15))],
    ['aaguid', 0x03, '2fc0579f-8113-47ea-b116-bb5a8db9202a'],
    ['options', 0x04, new Map<CborValue, CborValue>([['rk', 1]])],
    ['options', 0x04, new Map<CborValue, CborValue>([[1, true]])],
    ['options', 0x04, [true]],
    ['maxMsgSize', 0x05, -1],
    ['maxMsgSize', 0x05, '1200'],
    ['maxMsgSize', 0x05, 2n ** 64n - 1n],
    ['pinUvAuthProtocols', 0x06, 2],
    ['pinUvAuthProtocols', 0x06, ['2']],
    ['maxCredentialCountInList', 0x07, true],
    ['maxCredentialIdLength', 0x08, null],
    ['transports', 0x09, 'usb'],
    ['algorithms', 0x0a, [new Map<CborValue, CborValue>([['alg', 'ES256'], ['type', 'public-key']])]],
    ['algorithms', 0x0a, [-7]],
    ['maxSerializedLargeBlobArray', 0x0b, unhex('00')],
    ['forcePINChange', 0x0c, 0],
    ['minPINLength', 0x0d, 4.5 as unknown as CborValue],
    ['firmwareVersion', 0x0e, 'v1'],
    ['maxCredBlobLength', 0x0f, -32],
    ['maxRPIDsForSetMinPINLength', 0x10, [2]],
    ['preferredPlatformUvAttempts', 0x11, false],
    ['uvModality', 0x12, 'fingerprint'],
    ['certifications', 0x13, new Map<CborValue, CborValue>([['FIDO', 'L2']])],
    ['certifications', 0x13, ['FIDO']],
    ['remainingDiscoverableCredentials', 0x14, -1],
    ['vendorPrototypeConfigCommands', 0x15, [-1]],
    ['vendorPrototypeConfigCommands', 0x15, 5],
    ['attestationFormats', 0x16, 'packed'],
    ['uvCountSinceLastPinEntry', 0x17, true],
    ['longTouchForReset', 0x18, 1],
    ['encIdentifier', 0x19, 'aa'],
    ['transportsForReset', 0x1a, [1]],
    ['pinComplexityPolicy', 0x1b, 'yes'],
    ['pinComplexityPolicyURL', 0x1c, 7],
    ['pinComplexityPolicyURL', 0x1c, unhex('c328')],
    ['maxPINLength', 0x1d, '63'],
    ['encCredStoreState', 0x1e, [1]],
    ['authenticatorConfigCommands', 0x1f, [1, 'two']],
  ];
  it.each(wrong)('rejects a wrong type for %s (0x%s)', (field, key, value) => {
    const m = fullInfo();
    m.set(key, value);
    expectMalformed(() => parseGetInfo(m), new RegExp(`getInfo ${field} `));
  });

  it('rejects a reply without versions or aaguid, a non-map, and malformed CBOR', () => {
    const noVersions = fullInfo();
    noVersions.delete(1);
    expectMalformed(() => parseGetInfo(noVersions), /versions/);
    const noAaguid = fullInfo();
    noAaguid.delete(3);
    expectMalformed(() => parseGetInfo(noAaguid), /aaguid/);
    expectMalformed(() => parseGetInfo(unhex('80')), /map/);
    expectMalformed(() => parseGetInfo(unhex('a101')));
  });
});

describe('getInfo helpers', () => {
  it('supportsCtap21 needs FIDO_2_1, not just FIDO_2_1_PRE', () => {
    expect(supportsCtap21(baseInfo({ versions: ['FIDO_2_0', 'FIDO_2_1_PRE'] }))).toBe(false);
    expect(supportsCtap21(baseInfo({ versions: ['FIDO_2_0', 'FIDO_2_1'] }))).toBe(true);
    expect(supportsCtap21(baseInfo({ versions: ['U2F_V2', 'FIDO_2_0'] }))).toBe(false);
  });

  it('preferredPinProtocol prefers 2, falls back to 1, and 1 for a CTAP 2.0 key without a list', () => {
    expect(preferredPinProtocol(baseInfo({ pinUvAuthProtocols: [1, 2] }))).toBe(2);
    expect(preferredPinProtocol(baseInfo({ pinUvAuthProtocols: [1] }))).toBe(1);
    expect(preferredPinProtocol(baseInfo({ pinUvAuthProtocols: undefined }))).toBe(1);
    expect(preferredPinProtocol(baseInfo({ pinUvAuthProtocols: [3] }))).toBeUndefined();
    expect(supportsPinProtocol(baseInfo({ pinUvAuthProtocols: undefined }), 2)).toBe(false);
    expect(supportsPinProtocol(baseInfo({ pinUvAuthProtocols: [2] }), 1)).toBe(false);
  });
});

describe('toJson', () => {
  it('gives a stable JSON in key order with hex bytes and a UUID', () => {
    const m = fullInfo();
    m.set(0x21, unhex('0102'));
    m.set(0x20, new Map<CborValue, CborValue>([['b', 1], ['a', 2n ** 70n]]));
    const json = toJson(parseGetInfo(m));
    expect(Object.keys(json)).toEqual([
      'versions', 'extensions', 'aaguid', 'options', 'maxMsgSize', 'pinUvAuthProtocols', 'maxCredentialCountInList',
      'maxCredentialIdLength', 'transports', 'algorithms', 'maxSerializedLargeBlobArray', 'forcePINChange', 'minPINLength',
      'firmwareVersion', 'maxCredBlobLength', 'maxRPIDsForSetMinPINLength', 'preferredPlatformUvAttempts', 'uvModality',
      'certifications', 'remainingDiscoverableCredentials', 'vendorPrototypeConfigCommands', 'attestationFormats',
      'uvCountSinceLastPinEntry', 'longTouchForReset', 'encIdentifier', 'transportsForReset', 'pinComplexityPolicy',
      'pinComplexityPolicyURL', 'maxPINLength', 'encCredStoreState', 'authenticatorConfigCommands', 'unknown',
    ]);
    expect(json.aaguid).toBe('2fc0579f-8113-47ea-b116-bb5a8db9202a');
    expect(Object.keys(json.options as object)).toEqual(['alwaysUv', 'clientPin', 'pinUvAuthToken', 'rk']);
    expect(json.encIdentifier).toBe('aa'.repeat(32));
    expect(json.vendorPrototypeConfigCommands).toEqual(['1', (2n ** 63n + 5n).toString()]);
    expect(json.algorithms).toEqual([{ alg: -7, type: 'public-key' }, { alg: -8, type: 'public-key' }]);
    expect(json.unknown).toEqual({ '32': { a: (2n ** 70n).toString(), b: 1 }, '33': '0102' });
    // A JSON round-trip is lossless and the string does not depend on CBOR member order.
    const reordered = new Map([...m.entries()].reverse());
    expect(JSON.stringify(toJson(parseGetInfo(reordered)))).toBe(JSON.stringify(json));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('leaves absent members out', () => {
    const json = toJson(parseGetInfo(new Map<CborValue, CborValue>([[1, ['FIDO_2_0']], [3, AAGUID]])));
    expect(json).toEqual({ versions: ['FIDO_2_0'], aaguid: '2fc0579f-8113-47ea-b116-bb5a8db9202a' });
  });
});
