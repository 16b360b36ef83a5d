import { describe, expect, it } from 'vitest';
import { Sw, contactlessAtr, parseCommandApdu, responseApdu, responseBudget, takeChunk } from '../../src/sim/apdu.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('parseCommandApdu (ISO/IEC 7816-4 §5.1)', () => {
  const ok: [string, string, { data: string; ne: number | undefined; extended: boolean }][] = [
    ['case 1', '00a40400', { data: '', ne: undefined, extended: false }],
    ['case 2S, Le 00 = 256', '00c0000000', { data: '', ne: 256, extended: false }],
    ['case 2S, Le 10', '00c0000010', { data: '', ne: 16, extended: false }],
    ['case 3S', '00a4040008a0000006472f0001', { data: 'a0000006472f0001', ne: undefined, extended: false }],
    ['case 4S', '8010800001 04 00'.replace(/ /g, ''), { data: '04', ne: 256, extended: false }],
    ['case 2E, Le 0000 = 65536', '80100000000000', { data: '', ne: 65536, extended: true }],
    ['case 3E', '801080000000020401', { data: '0401', ne: undefined, extended: true }],
    ['case 4E', '8010800000000204010100', { data: '0401', ne: 256, extended: true }],
  ];
  for (const [name, bytes, want] of ok) {
    it(name, () => {
      const r = parseCommandApdu(hex(bytes));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect({ data: toHex(r.apdu.data), ne: r.apdu.ne, extended: r.apdu.extended }).toEqual(want);
    });
  }

  const bad: [string, string][] = [
    ['shorter than a header', '00a404'],
    ['Lc longer than the body', '00a4040008a000'],
    ['body longer than Lc + Le', '00a4040001aabbcc'],
    ['extended with Lc 0000 and data', '801000000000000102'],
    ['extended Lc longer than the body', '8010000000ffff01'],
    ['two bytes after the header', '801000000001'],
  ];
  for (const [name, bytes] of bad) {
    it(`${name} is 6700`, () => {
      expect(parseCommandApdu(hex(bytes))).toEqual({ ok: false, sw: Sw.WRONG_LENGTH });
    });
  }

  it('an absent Le leaves the whole of a short (256) or extended (65536) reply to send', () => {
    const short = parseCommandApdu(hex('8010800001aa'));
    const ext = parseCommandApdu(hex('8010800000000104'));
    expect(short.ok && responseBudget(short.apdu)).toBe(256);
    expect(ext.ok && responseBudget(ext.apdu)).toBe(65536);
  });
});

describe('response APDUs', () => {
  it('puts SW1 SW2 after the data', () => {
    expect(toHex(responseApdu(hex('0102'), 0x9000))).toBe('01029000');
    expect(toHex(responseApdu(new Uint8Array(0), 0x6a82))).toBe('6a82');
  });

  const chunks: [string, number, number, string, number][] = [
    // name, reply length, budget, trailing SW, bytes left over
    ['fits: final SW', 10, 256, '9000', 0],
    ['exactly the budget: final SW', 256, 256, '9000', 0],
    ['300 over 256: 61 2C', 300, 256, '612c', 44],
    ['600 over 256: 61 00 (256 or more left)', 600, 256, '6100', 344],
    ['512 over 256: 61 00', 512, 256, '6100', 256],
  ];
  for (const [name, length, budget, sw, left] of chunks) {
    it(name, () => {
      const { reply, rest } = takeChunk(new Uint8Array(length).fill(7), budget, 0x9000);
      expect(toHex(reply.subarray(-2))).toBe(sw);
      expect(reply.length - 2).toBe(Math.min(length, budget));
      expect(rest.length).toBe(left);
    });
  }
});

describe('contactlessAtr (PC/SC part 3, ISO/IEC 14443-4)', () => {
  it('without historical bytes is 3B 80 80 01 01', () => {
    expect(toHex(contactlessAtr())).toBe('3b80800101');
  });
  it('counts the historical bytes in T0 and XORs T0..last into TCK', () => {
    const atr = contactlessAtr(hex('8073c021c057597562694b6579'));
    expect(toHex(atr)).toBe('3b8d80018073c021c057597562694b6579f9');
  });
  it('refuses more than 15 historical bytes', () => {
    expect(() => contactlessAtr(new Uint8Array(16))).toThrow(RangeError);
  });
});
