import { describe, expect, it } from 'vitest';
import { commandApdus, encodeExtended, encodeShort, parseResponse, parseSelectAnswer, selectApdu, statusWordError } from '../../src/transports/pcsc/apdu.js';
import { nfcctapMsg, selectApplet, transmitCommand } from '../../src/transports/pcsc/exchange.js';
import { Fido2Error } from '../../src/errors.js';
import { FIDO_2_0, hex, ScriptedCard, SELECT, type Step, toHex } from './fake-card.js';

const bytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

describe('APDU encoding (ISO 7816-4)', () => {
  it.each([
    ['case 1 with Le', { cla: 0x80, ins: 0x11, p1: 0, p2: 0 }, 0, '8011000000'],
    ['case 4', { cla: 0x80, ins: 0x10, p1: 0x80, p2: 0, data: hex('04') }, 0, '80108000010400'],
    ['case 3 (no Le)', { cla: 0x90, ins: 0x10, p1: 0x80, p2: 0, data: hex('0102') }, false, '901080000201 02'],
    ['GET RESPONSE Le 0x20', { cla: 0, ins: 0xc0, p1: 0, p2: 0 }, 0x20, '00c0000020'],
  ] as const)('%s', (_name, c, le, want) => {
    expect(toHex(encodeShort(c, le))).toBe(want.replace(/\s/g, ''));
  });

  it('SELECT names the FIDO AID A0000006472F0001 with Le 00', () => {
    expect(toHex(selectApdu())).toBe(SELECT.replace(/\s/g, ''));
  });

  it('an extended APDU has 00, a 2-byte Lc and a 2-byte Le', () => {
    expect(toHex(encodeExtended({ cla: 0x80, ins: 0x10, p1: 0x80, p2: 0, data: bytes(300) }))).toBe(`8010800000012c${toHex(bytes(300))}0000`);
  });

  it.each([
    [0, 1],
    [240, 1],
    [241, 2],
    [480, 2],
    [481, 3],
    [1200, 5],
  ])('chaining %i bytes takes %i APDUs; the chaining bit is on all but the last, Le only on the last', (n, count) => {
    const apdus = commandApdus({ cla: 0x80, ins: 0x10, p1: 0x80, p2: 0, data: bytes(n) });
    expect(apdus).toHaveLength(count);
    apdus.forEach((a, i) => {
      const last = i === apdus.length - 1;
      expect(a[0]).toBe(last ? 0x80 : 0x90);
      const lc = n === 0 ? 0 : a[4]!;
      expect(a.length).toBe(n === 0 ? 5 : 5 + lc + (last ? 1 : 0));
    });
    const joined = n === 0 ? [] : apdus.flatMap((a) => [...a.subarray(5, 5 + a[4]!)]);
    expect(Uint8Array.from(joined)).toEqual(bytes(n));
  });

  it('short APDUs refuse more than 255 bytes instead of wrapping Lc', () => {
    expect(() => encodeShort({ cla: 0, ins: 0, p1: 0, p2: 0, data: bytes(256) })).toThrow(RangeError);
  });

  it.each([
    ['9000', '', 0x9000],
    ['01029000', '0102', 0x9000],
    ['6a82', '', 0x6a82],
  ])('parses %s', (raw, data, sw) => {
    const r = parseResponse(hex(raw));
    expect([toHex(r.data), r.sw]).toEqual([data, sw]);
  });

  it('a one-byte answer is a transport error, not a status word', () => {
    expect(() => parseResponse(hex('90'))).toThrow(expect.objectContaining({ kind: 'transport', reason: 'malformed-apdu' }));
  });
});

describe('SELECT answers', () => {
  it.each([
    ['FIDO_2_0', FIDO_2_0, 'FIDO_2_0'],
    ['U2F_V2', `${Buffer.from('U2F_V2').toString('hex')}9000`, 'U2F_V2'],
    ['a bare 9000 (field deviation)', '9000', 'unknown'],
    ['something else', '4142439000', 'unknown'],
  ])('%s', async (_n, answer, version) => {
    const card = new ScriptedCard([[SELECT, answer]]);
    expect(await selectApplet(card)).toBe(version);
  });

  it.each([
    ['6A82', 'unsupported'],
    ['6D00', 'unsupported'],
    ['6985', 'key-error'],
  ])('SW %s fails as %s, naming the status word', (sw, kind) => {
    const e = (() => {
      try {
        parseSelectAnswer(parseResponse(hex(sw)));
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(Fido2Error);
    expect(e).toMatchObject({ kind });
    expect((e as Error).message).toContain(`status word ${sw}`);
    expect((e as Error).message).not.toContain('\n');
  });
});

const MSG = (data: string): string => `801080 00 ${(data.length / 2).toString(16).padStart(2, '0')} ${data} 00`;
const POLL = '8011000000';

describe('NFCCTAP_MSG exchanges', () => {
  const cases: { name: string; request: string; steps: Step[]; reply: string; keepalives?: string[] }[] = [
    { name: 'one APDU, 9000', request: '04', steps: [[MSG('04'), '00a1019000']], reply: '00a101' },
    {
      name: '61XX: GET RESPONSE until 9000, pieces joined',
      request: '04',
      steps: [
        [MSG('04'), '00a16110'],
        ['00c0000010', 'b1b26105'],
        ['00c0000005', 'c19000'],
      ],
      reply: '00a1b1b2c1',
    },
    {
      name: '61 00 asks for 256 bytes with Le 00',
      request: '04',
      steps: [
        [MSG('04'), '006100'],
        ['00c0000000', 'ff9000'],
      ],
      reply: '00ff',
    },
    {
      name: '9100: polled with NFCCTAP_GETRESPONSE, each answer a keepalive',
      request: '0b',
      steps: [
        [MSG('0b'), '019100'],
        [POLL, '029100'],
        [POLL, '029100'],
        [POLL, '009000'],
      ],
      reply: '00',
      keepalives: ['processing', 'upneeded', 'upneeded'],
    },
    {
      name: '9100 then 61XX: the final answer still gets GET RESPONSE',
      request: '0b',
      steps: [
        [MSG('0b'), '029100'],
        [POLL, '006101'],
        ['00c0000001', 'aa9000'],
      ],
      reply: '00aa',
      keepalives: ['upneeded'],
    },
    {
      name: 'a CTAP error status byte is a reply, not a failure',
      request: '06',
      steps: [[MSG('06'), '319000']],
      reply: '31',
    },
  ];

  it.each(cases)('$name', async ({ request, steps, reply, keepalives }) => {
    const card = new ScriptedCard(steps);
    const seen: string[] = [];
    const got = await nfcctapMsg(card, hex(request), { pollMs: 0, onKeepalive: (s) => seen.push(s) });
    expect(toHex(got)).toBe(reply);
    expect(seen).toEqual(keepalives ?? []);
    expect(card.done).toBe(true);
  });

  it('a 600-byte request goes as three chained APDUs (CLA 90, 90, 80) and each part must be answered 9000', async () => {
    const data = bytes(600);
    const d = toHex(data);
    const card = new ScriptedCard([
      [`90108000f0${d.slice(0, 480)}`, '9000'],
      [`90108000f0${d.slice(480, 960)}`, '9000'],
      [`8010800078${d.slice(960)}00`, '009000'],
    ]);
    expect(toHex(await nfcctapMsg(card, data, { pollMs: 0 }))).toBe('00');
  });

  it('a chained part refused ends the command with that status word', async () => {
    const card = new ScriptedCard([[`90108000f0${toHex(bytes(240))}`, '6700']]);
    await expect(nfcctapMsg(card, bytes(300), { pollMs: 0 })).rejects.toMatchObject({ kind: 'key-error', reason: 'sw-6700' });
    expect(card.done).toBe(true);
  });

  it('extended: one APDU with a 3-byte Lc', async () => {
    const card = new ScriptedCard([[`801080000001 2c${toHex(bytes(300))}0000`, '009000']]);
    expect(toHex(await nfcctapMsg(card, bytes(300), { pollMs: 0, extended: true }))).toBe('00');
  });

  it.each([
    ['6A80', 'key-error'],
    ['6F00', 'key-error'],
    ['6D00', 'unsupported'],
  ])('a CTAP error carried as status word %s fails with one line (%s)', async (sw, kind) => {
    const card = new ScriptedCard([[MSG('06'), sw]]);
    const e = await nfcctapMsg(card, hex('06'), { pollMs: 0 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind, reason: `sw-${sw}` });
    expect((e as Error).message).toMatch(/status word/);
    expect((e as Error).message).not.toContain('\n');
  });

  it('9000 with no status byte is a malformed reply', async () => {
    const card = new ScriptedCard([[MSG('04'), '9000']]);
    await expect(nfcctapMsg(card, hex('04'), { pollMs: 0 })).rejects.toMatchObject({ kind: 'transport', reason: 'malformed-apdu' });
  });

  it('aborting while the card asks for a touch stops polling and rejects as cancelled', async () => {
    const ac = new AbortController();
    const card = new ScriptedCard([
      [MSG('0b'), '029100'],
      [POLL, '029100'],
    ]);
    let polls = 0;
    const e = await nfcctapMsg(card, hex('0b'), {
      pollMs: 0,
      signal: ac.signal,
      onKeepalive: () => {
        if (++polls === 2) ac.abort();
      },
    }).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'cancelled' });
    expect(card.done).toBe(true);
  });

  it('an already aborted signal sends nothing', async () => {
    const card = new ScriptedCard([]);
    const ac = new AbortController();
    ac.abort();
    await expect(nfcctapMsg(card, hex('04'), { signal: ac.signal })).rejects.toMatchObject({ kind: 'cancelled' });
    expect(card.sent).toEqual([]);
  });

  it('a card that never stops sending 61XX is cut off', async () => {
    let n = 0;
    const endless = { transmit: async () => (n++ === 0 ? hex('006100') : Uint8Array.from([...bytes(256), 0x61, 0x00])) };
    await expect(transmitCommand(endless, { cla: 0x80, ins: 0x10, p1: 0x80, p2: 0, data: hex('04') })).rejects.toMatchObject({ kind: 'transport', reason: 'reply-too-long' });
  });
});

describe('statusWordError', () => {
  it('never spans lines and names the word in hex', () => {
    for (const sw of [0x6700, 0x6982, 0x6985, 0x6a80, 0x6a82, 0x6d00, 0x6e00, 0x6f00, 0x6abc]) {
      const e = statusWordError(sw, 'testing');
      expect(e.message).toContain(sw.toString(16).toUpperCase());
      expect(e.message).not.toContain('\n');
    }
  });
});
