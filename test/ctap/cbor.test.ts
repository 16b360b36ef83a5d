import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CborTag, decodeCbor, decodeCborMap, encodeCbor, type CborValue } from '../../src/ctap/cbor.js';
import { Fido2Error } from '../../src/errors.js';
import { hex, unhex } from './helpers.js';

const enc = (v: CborValue) => hex(encodeCbor(v));

function expectMalformed(bytes: string, detail?: RegExp): void {
  try {
    decodeCbor(unhex(bytes));
  } catch (e) {
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Fido2Error).kind).toBe('transport');
    expect((e as Error).message).toMatch(/^The security key sent a malformed reply: /);
    if (detail) expect((e as Error).message).toMatch(detail);
    return;
  }
  throw new Error(`decoded ${bytes} without error`);
}

describe('encodeCbor', () => {
  it('uses the shortest integer forms at every boundary', () => {
    expect(enc(0)).toBe('00');
    expect(enc(23)).toBe('17');
    expect(enc(24)).toBe('1818');
    expect(enc(255)).toBe('18ff');
    expect(enc(256)).toBe('190100');
    expect(enc(65535)).toBe('19ffff');
    expect(enc(65536)).toBe('1a00010000');
    expect(enc(0xffffffff)).toBe('1affffffff');
    expect(enc(0x100000000)).toBe('1b0000000100000000');
    expect(enc(-1)).toBe('20');
    expect(enc(-24)).toBe('37');
    expect(enc(-25)).toBe('3818');
    expect(enc(-256)).toBe('38ff');
    expect(enc(-257)).toBe('390100');
    expect(enc(0xffffffffffffffffn)).toBe('1bffffffffffffffff');
    expect(enc(-0x8000000000000000n)).toBe('3b7fffffffffffffff');
    // Below -2^63 cbor-x would write a tagged bignum; CTAP never needs one.
    expect(() => enc(-0x8000000000000001n)).toThrow(RangeError);
  });

  it('encodes strings, bytes, booleans, null and arrays', () => {
    expect(enc('')).toBe('60');
    expect(enc('a')).toBe('6161');
    expect(enc('ü')).toBe('62c3bc');
    expect(enc(new Uint8Array([1, 2]))).toBe('420102');
    expect(enc(new Uint8Array(24))).toBe('5818' + '00'.repeat(24));
    expect(enc(true)).toBe('f5');
    expect(enc(false)).toBe('f4');
    expect(enc(null)).toBe('f6');
    expect(enc([1, [2, 3]])).toBe('8201820203');
  });

  it('encodes Buffers and other typed-array views as plain byte strings, never tagged', () => {
    expect(enc(Buffer.from('abcd', 'hex'))).toBe('42abcd');
    const big = new Uint8Array([9, 8, 7, 6]);
    expect(enc(big.subarray(1, 3))).toBe('420807');
  });

  it('sorts map keys per CTAP 2.1 §8: unsigned, then negative, then text by length then bytes', () => {
    const m = new Map<CborValue, CborValue>([
      ['bb', 0],
      [-3, 0],
      ['a', 0],
      [24, 0],
      [-1, 0],
      [3, 0],
      ['b', 0],
      [1, 0],
      [-25, 0],
    ]);
    // 1, 3, 24, -1, -3, -25, "a", "b", "bb"
    expect(enc(m)).toBe('a9' + '0100' + '0300' + '181800' + '2000' + '2200' + '381800' + '616100' + '616200' + '62626200');
  });

  it('sorts the COSE key exactly as keys expect it', () => {
    const cose = new Map<CborValue, CborValue>([
      [-3, new Uint8Array([2])],
      [-2, new Uint8Array([1])],
      [-1, 1],
      [3, -25],
      [1, 2],
    ]);
    expect(enc(cose)).toBe('a5' + '0102' + '033818' + '2001' + '214101' + '224102');
  });

  it('sorts text-keyed plain objects canonically too', () => {
    expect(enc({ type: 'public-key', alg: -7 })).toBe('a2' + '63616c6726' + '6474797065' + '6a7075626c69632d6b6579');
  });

  it('leaves out map members whose value is undefined', () => {
    expect(enc(new Map<CborValue, CborValue>([[1, 1], [2, undefined]]))).toBe('a10101');
  });

  it('refuses floats, undefined, duplicate keys and unknown objects', () => {
    expect(() => encodeCbor(1.5)).toThrow(TypeError);
    expect(() => encodeCbor(NaN)).toThrow(TypeError);
    expect(() => encodeCbor(undefined)).toThrow(TypeError);
    expect(() => encodeCbor(new Map<CborValue, CborValue>([[1, 1], [1n, 2]]))).toThrow(/duplicate/);
    expect(() => encodeCbor(new Date() as unknown as CborValue)).toThrow(TypeError);
  });
});

describe('decodeCbor', () => {
  it('decodes maps to Map with integer keys kept as numbers', () => {
    const m = decodeCborMap(unhex('a3' + '0102' + '2043010203' + '616b' + 'f5'));
    expect(m).toBeInstanceOf(Map);
    expect(m.get(1)).toBe(2);
    expect(m.get(-1)).toEqual(new Uint8Array([1, 2, 3]));
    expect(m.get(-1)).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(m.get(-1))).toBe(false);
    expect(m.get('k')).toBe(true);
  });

  it('decodes all integer widths, and bigint beyond 2^53', () => {
    expect(decodeCbor(unhex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(unhex('1b0020000000000000'))).toBe(2n ** 53n);
    expect(decodeCbor(unhex('3b0020000000000000'))).toBe(-(2n ** 53n) - 1n);
    expect(decodeCbor(unhex('3b001ffffffffffffe'))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decodeCbor(unhex('390100'))).toBe(-257);
    expect(decodeCbor(unhex('1a00010000'))).toBe(65536);
  });

  it('decodes simple values, floats and tags leniently', () => {
    expect(decodeCbor(unhex('f6'))).toBeNull();
    expect(decodeCbor(unhex('f7'))).toBeUndefined();
    expect(decodeCbor(unhex('f93c00'))).toBe(1);
    expect(decodeCbor(unhex('fa3fc00000'))).toBe(1.5);
    expect(decodeCbor(unhex('fb3ff8000000000000'))).toBe(1.5);
    const t = decodeCbor(unhex('d86301'));
    expect(t).toBeInstanceOf(CborTag);
    expect((t as CborTag).tag).toBe(99);
  });

  it('rejects trailing bytes, truncation, indefinite strings, reserved heads and deep nesting', () => {
    expectMalformed('0000', /trailing/);
    expectMalformed('', /empty/);
    expectMalformed('5803aabb', /end of CBOR data/);
    expectMalformed('a201', /end of CBOR data/);
    expectMalformed('a2010203', /end of CBOR data/);
    expectMalformed('1a0000', /invalid CBOR/);
    expectMalformed('5f41aaff', /Indefinite/);
    expectMalformed('1c', /invalid CBOR/);
    expectMalformed('f0', /invalid CBOR/);
    expectMalformed('81'.repeat(100) + '00', /deeply/);
    expectMalformed('9bffffffffffffffff', /invalid CBOR/);
  });

  it('decodeCborMap refuses a non-map', () => {
    expect(() => decodeCborMap(unhex('80'))).toThrow(/expected a CBOR map/);
  });

  it('round-trips canonical encodings (property)', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.string(),
      fc.uint8Array({ maxLength: 40 }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('v'), { maxLength: 4 }),
        fc
          .uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 6 })), tie('v')), {
            maxLength: 4,
            selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`),
          })
          .map((entries) => new Map<CborValue, CborValue>(entries)),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCbor(v);
        const again = encodeCbor(decodeCbor(bytes));
        expect(hex(again)).toBe(hex(bytes));
      }),
    );
  });

  it('map encoding does not depend on insertion order (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.integer({ min: -70000, max: 70000 }), fc.string({ maxLength: 30 })), { maxLength: 12 }), (keys) => {
        const a = new Map<CborValue, CborValue>(keys.map((k) => [k, 0]));
        const b = new Map<CborValue, CborValue>([...keys].reverse().map((k) => [k, 0]));
        expect(hex(encodeCbor(a))).toBe(hex(encodeCbor(b)));
      }),
    );
  });
});
