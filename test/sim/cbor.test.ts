import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCbor, decodeRequest, encodeCbor, CborFloat } from '../../src/sim/cbor.js';
import { CtapStatusError } from '../../src/sim/status.js';

const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof CtapStatusError) return e.status;
    throw e;
  }
}

describe('canonical CBOR encoder', () => {
  it('uses the shortest heads', () => {
    expect(hex(encodeCbor(0))).toBe('00');
    expect(hex(encodeCbor(23))).toBe('17');
    expect(hex(encodeCbor(24))).toBe('1818');
    expect(hex(encodeCbor(256))).toBe('190100');
    expect(hex(encodeCbor(65536))).toBe('1a00010000');
    expect(hex(encodeCbor(2 ** 32))).toBe('1b0000000100000000');
    expect(hex(encodeCbor(-1))).toBe('20');
    expect(hex(encodeCbor(-25))).toBe('3818');
    expect(hex(encodeCbor('a'))).toBe('6161');
    expect(hex(encodeCbor(new Uint8Array(2)))).toBe('420000');
    expect(hex(encodeCbor(true))).toBe('f5');
  });

  it('sorts map keys: major type, then length, then bytes (CTAP 2.1 §8)', () => {
    const m = new Map<number | string, number>([['bb', 1], [-1, 2], ['a', 3], [24, 4], [1, 5], [-25, 6]]);
    expect(hex(encodeCbor(m))).toBe('a6' + '0105' + '181804' + '2002' + '381806' + '616103' + '62626201');
  });

  it('round-trips what it encodes', () => {
    fc.assert(
      fc.property(
        fc.letrec((tie) => ({
          v: fc.oneof(
            { depthSize: 'small' },
            fc.integer(),
            fc.string(),
            fc.uint8Array({ maxLength: 40 }),
            fc.boolean(),
            fc.array(tie('v'), { maxLength: 4 }),
            fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 4 }).map((o) => new Map(Object.entries(o))),
          ),
        })).v,
        (v) => {
          const bytes = encodeCbor(v as never);
          expect(hex(encodeCbor(decodeCbor(bytes) as never))).toBe(hex(bytes));
        },
      ),
    );
  });
});

describe('strict decoder', () => {
  it.each([
    ['non-shortest integer', '1817'],
    ['non-shortest length', '5801ff'],
    ['indefinite array', '9fff'],
    ['a tag', 'c100'],
    ['unsorted map keys', 'a202000100'],
    ['duplicate map keys', 'a201000100'],
    ['trailing bytes', '0000'],
    ['truncated', '5a0000ffff'],
    ['invalid UTF-8', '62c328'],
    ['a lone break', 'ff'],
    ['reserved simple value', 'f8ff'],
  ])('refuses %s with CTAP2_ERR_INVALID_CBOR', (_n, bytes) => {
    expect(statusOf(() => decodeCbor(h(bytes)))).toBe(0x12);
  });

  it('keeps floats apart from integers: 1.0 never passes as 1', () => {
    expect(statusOf(() => decodeCbor(h('f93c00')))).toBe(0x12);
    expect(statusOf(() => decodeCbor(h('fb3ff0000000000000')))).toBe(0x12);
    const v = decodeCbor(h('fb3ff8000000000000'));
    expect(v).toBeInstanceOf(CborFloat);
    expect((v as CborFloat).value).toBe(1.5);
  });

  it('refuses deep nesting and oversized input without crashing', () => {
    expect(statusOf(() => decodeCbor(h('81'.repeat(17) + '00')))).toBe(0x12);
    expect(statusOf(() => decodeCbor(h('81'.repeat(60000) + '00')))).toBe(0x12);
    expect(statusOf(() => decodeCbor(new Uint8Array(70000)))).toBe(0x12);
  });

  it('refuses tags, even ones cbor-x understands', () => {
    for (const t of ['c24101', 'c11a00000001', 'd86301', 'd9010380']) expect(statusOf(() => decodeCbor(h(t)))).toBe(0x12);
  });

  it('decodeRequest: empty body is an empty map, a non-map is CBOR_UNEXPECTED_TYPE, raw value bytes are kept', () => {
    expect(decodeRequest(new Uint8Array(0)).map.size).toBe(0);
    expect(statusOf(() => decodeRequest(h('01')))).toBe(0x11);
    expect(statusOf(() => decodeRequest(h('ffff')))).toBe(0x12);
    const r = decodeRequest(h('a2010302a10108'));
    expect(hex(r.raw.get(2)!)).toBe('a10108');
  });

  it('refuses nesting deeper than it supports instead of overflowing the stack', () => {
    const deep = new Uint8Array(100_000).fill(0x81);
    expect(statusOf(() => decodeCbor(deep))).toBe(0x12);
  });
});
