import { describe, expect, it } from 'vitest';
import { decode } from 'cbor-x';
import { virtualCard } from '../../src/sim/card.js';
import type { TransactionControl } from '../../src/sim/ctaphid-device.js';
import { type CardBackend, NfcApplet } from '../../src/sim/nfc-applet.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sw = (r: Uint8Array): string => toHex(r.subarray(-2));
const body = (r: Uint8Array): Uint8Array => r.subarray(0, r.length - 2);
const SELECT = '00a4040008a0000006472f0001';

function card(profile: 'fido-2.1' | 'u2f-only' = 'fido-2.1') {
  const c = virtualCard(new VirtualKey({ profile }), 1);
  c.powerUp();
  return c;
}

/** A backend whose one CBOR command waits for the user until `touch()` and answers `reply`. */
function waitingBackend(reply: Uint8Array) {
  let touch = (): void => undefined;
  let seen: TransactionControl | undefined;
  const backend: CardBackend = {
    cbor: true,
    u2f: false,
    runCbor: async (_req, tx) => {
      seen = tx;
      tx.setWaitingForUser(true);
      await new Promise<void>((resolve) => (touch = resolve));
      tx.setWaitingForUser(false);
      return reply;
    },
    u2fMessage: () => hex('6d00'),
  };
  return { backend, touch: () => touch(), tx: () => seen };
}

describe('the FIDO applet: selection', () => {
  const cases: [string, 'fido-2.1' | 'u2f-only', string, string, string][] = [
    ['a CTAP2 key answers FIDO_2_0', 'fido-2.1', SELECT, Buffer.from('FIDO_2_0').toString('hex'), '9000'],
    ['a U2F key answers U2F_V2', 'u2f-only', SELECT, Buffer.from('U2F_V2').toString('hex'), '9000'],
    ['another AID is not found', 'fido-2.1', '00a4040007a0000005272101', '', '6a82'],
    ['SELECT by file id is refused', 'fido-2.1', '00a4000c023f00', '', '6a86'],
    ['SELECT with a proprietary CLA', 'fido-2.1', '80a4040008a0000006472f0001', '', '6e00'],
  ];
  for (const [name, profile, apdu, data, status] of cases) {
    it(name, async () => {
      const r = await card(profile).process(hex(apdu));
      expect([toHex(body(r)), sw(r)]).toEqual([data, status]);
    });
  }

  it('refuses CTAP commands until the applet is selected, and again after a power-up (CTAP 2.3)', async () => {
    const c = card();
    expect(sw(await c.process(hex('80108000010400')))).toBe('6985');
    await c.process(hex(SELECT));
    expect(sw(await c.process(hex('80108000010800')))).toBe('9000'); // getNextAssertion: a short CTAP error, SW 9000
    c.powerUp();
    expect(sw(await c.process(hex('80108000010400')))).toBe('6985');
  });
});

describe('the FIDO applet: status words for what it does not serve', () => {
  const cases: [string, string, string][] = [
    ['unknown instruction', '80ee000000', '6d00'],
    ['secure-messaging CLA', '0ca4040008a0000006472f0001', '6e00'],
    ['NFCCTAP_MSG with CLA 00', '00108000010400', '6e00'],
    ['NFCCTAP_MSG without data', '8010800000', '6700'],
    ['malformed lengths', '80108000050400', '6700'],
    ['U2F VERSION on a CTAP2-only key', '0003000000', '6d00'],
    ['GET RESPONSE with nothing left', '00c0000000', '6985'],
    ['NFCCTAP_GETRESPONSE with nothing running', '8011000000', '6985'],
  ];
  for (const [name, apdu, status] of cases) {
    it(`${name}: ${status}`, async () => {
      const c = card();
      await c.process(hex(SELECT));
      expect(sw(await c.process(hex(apdu)))).toBe(status);
    });
  }
});

describe('the FIDO applet: CTAP2 over NFCCTAP_MSG', () => {
  /** Sends `apdu` and follows 61XX with GET RESPONSE (Le = XX) as hosts do; every piece and the last SW. */
  async function exchange(c: { process(a: Uint8Array): Promise<Uint8Array> }, apdu: string) {
    let r = await c.process(hex(apdu));
    const parts = [body(r)];
    while (sw(r).startsWith('61')) {
      r = await c.process(hex(`00c00000${sw(r).slice(2)}`));
      parts.push(body(r));
    }
    return { parts, whole: Uint8Array.from(Buffer.concat(parts)), sw: sw(r) };
  }

  it('answers getInfo as CTAPHID would: status byte then CBOR, in 61XX pieces past 256 bytes', async () => {
    const c = card();
    await c.process(hex(SELECT));
    const r = await exchange(c, '8010800001' + '04' + '00');
    expect(r.sw).toBe('9000');
    expect(r.parts.length).toBe(2);
    expect(r.parts[0]!.length).toBe(256);
    expect(r.whole[0]).toBe(0);
    const info = decode(r.whole.subarray(1)) as Map<number, unknown> | Record<number, unknown>;
    const get = (k: number): unknown => (info instanceof Map ? info.get(k) : info[k]);
    expect(get(1)).toContain('FIDO_2_1');
  });

  it('hands out smaller pieces when Le asks for fewer bytes, and the pieces join up', async () => {
    const c = card();
    await c.process(hex(SELECT));
    const big = await exchange(c, '8010800001' + '04' + '00');
    let r = await c.process(hex('80108000010410')); // Le 16
    const parts = [body(r)];
    while (sw(r).startsWith('61')) {
      r = await c.process(hex('00c0000010'));
      parts.push(body(r));
    }
    expect(sw(r)).toBe('9000');
    expect(parts.slice(0, -1).every((p) => p.length === 16)).toBe(true);
    expect(toHex(Buffer.concat(parts))).toBe(toHex(big.whole));
  });

  it('takes an extended-length NFCCTAP_MSG and answers it whole (Le 0000)', async () => {
    const c = card();
    await c.process(hex(SELECT));
    const r = await c.process(hex('80108000000001040000'));
    expect(sw(r)).toBe('9000');
    expect(r.length).toBeGreaterThan(258);
    expect(r[0]).toBe(0);
  });

  it('lists nfc in getInfo transports when the key is told it is a card', async () => {
    const c = virtualCard(new VirtualKey({ transports: ['nfc'] }), 1);
    c.powerUp();
    await c.process(hex(SELECT));
    const r = await exchange(c, '8010800001' + '04' + '00');
    const info = decode(r.whole.subarray(1)) as Map<number, unknown> | Record<number, unknown>;
    expect(info instanceof Map ? info.get(9) : info[9]).toEqual(['nfc']);
  });

  it('joins a command chain (CLA 90) before running it; a foreign link breaks the chain with 6883', async () => {
    const c = card();
    await c.process(hex(SELECT));
    // A bad-CBOR makeCredential split over two links: the authenticator must see the joined bytes.
    expect(sw(await c.process(hex('9010800001' + '01')))).toBe('9000');
    const r = await c.process(hex('8010800001' + 'a0' + '00'));
    expect(sw(r)).toBe('9000');
    expect(body(r)[0]).toBe(0x14); // MISSING_PARAMETER from makeCredential {}; 0xa0 alone would be INVALID_COMMAND
    expect(sw(await c.process(hex('9010800001' + '01')))).toBe('9000');
    expect(sw(await c.process(hex('00a4040008a0000006472f0001')))).toBe('6883');
  });

  it('answers 9100 with UPNEEDED while the user is awaited, then the reply through NFCCTAP_GETRESPONSE', async () => {
    const w = waitingBackend(hex('00a0'));
    const applet = new NfcApplet(w.backend, 1);
    await applet.process(hex(SELECT));
    const first = await applet.process(hex('8010800001' + '07' + '00'));
    expect([toHex(body(first)), sw(first)]).toEqual(['02', '9100']);
    const poll = await applet.process(hex('8011000000'));
    expect([toHex(body(poll)), sw(poll)]).toEqual(['02', '9100']);
    w.touch();
    const done = await applet.process(hex('8011000000'));
    expect([toHex(body(done)), sw(done)]).toEqual(['00a0', '9000']);
  });

  it('without P1 bit 0x80 the host gets the reply itself, never 9100', async () => {
    const w = waitingBackend(hex('00'));
    const applet = new NfcApplet(w.backend, 1);
    await applet.process(hex(SELECT));
    const pending = applet.process(hex('8010000001' + '07' + '00'));
    await new Promise((r) => setImmediate(r));
    w.touch();
    expect(toHex(await pending)).toBe('009000');
  });

  it('a power-up or a new SELECT abandons a command waiting for the user', async () => {
    const w = waitingBackend(hex('00'));
    const applet = new NfcApplet(w.backend, 1);
    await applet.process(hex(SELECT));
    await applet.process(hex('8010800001' + '07' + '00'));
    applet.reset();
    expect(w.tx()?.signal.aborted).toBe(true);
  });
});

describe('the FIDO applet: U2F', () => {
  it('a U2F key answers VERSION with U2F_V2', async () => {
    const c = card('u2f-only');
    await c.process(hex(SELECT));
    const r = await c.process(hex('0003000000'));
    expect([Buffer.from(body(r)).toString(), sw(r)]).toEqual(['U2F_V2', '9000']);
    expect(sw(await c.process(hex('80108000010400')))).toBe('6d00');
  });
});

describe('the card: extended APDUs (ISO/IEC 7816-4 §5.1), announced in the ATR', () => {
  function cardWith(extendedLength?: boolean) {
    const c = virtualCard(new VirtualKey({ profile: 'fido-2.1' }), 1, extendedLength === undefined ? {} : { extendedLength });
    c.powerUp();
    return c;
  }
  const EXT_GETINFO = '8010800000000104 0000';
  const SHORT_GETINFO = '80108000010400';

  it('the ATR names the capabilities: chaining and extended by default, chaining only when short', () => {
    expect(toHex(cardWith().atr)).toBe('3b85800180738001c0b6');
    expect(toHex(cardWith(false).atr)).toBe('3b8580018073800180f6');
  });

  const cases: { name: string; extendedLength: boolean | undefined; apdu: string; status: string; bytes: (n: number) => boolean }[] = [
    { name: 'default card: getInfo in one extended APDU, the whole answer at once', extendedLength: undefined, apdu: EXT_GETINFO, status: '9000', bytes: (n) => n > 256 },
    { name: 'default card: the short form still answers 256 bytes and 61XX', extendedLength: undefined, apdu: SHORT_GETINFO, status: '61', bytes: (n) => n === 256 },
    { name: 'short card: an extended APDU is a wrong length (6700)', extendedLength: false, apdu: EXT_GETINFO, status: '6700', bytes: (n) => n === 0 },
    { name: 'short card: the short form as before', extendedLength: false, apdu: SHORT_GETINFO, status: '61', bytes: (n) => n === 256 },
  ];
  it.each(cases)('$name', async ({ extendedLength, apdu, status, bytes }) => {
    const c = cardWith(extendedLength);
    await c.process(hex(SELECT));
    const r = await c.process(hex(apdu.replace(/ /g, '')));
    expect(sw(r).startsWith(status)).toBe(true);
    expect(bytes(body(r).length)).toBe(true);
  });

  it('an extended APDU and the short chain give the same getInfo', async () => {
    const ext = cardWith();
    await ext.process(hex(SELECT));
    const whole = body(await ext.process(hex(EXT_GETINFO.replace(/ /g, ''))));
    const short = cardWith(false);
    await short.process(hex(SELECT));
    const first = await short.process(hex(SHORT_GETINFO));
    const rest = await short.process(hex(`00c00000${sw(first).slice(2)}`));
    expect(toHex(Buffer.concat([body(first), body(rest)]))).toBe(toHex(whole));
    expect(decode(whole.subarray(1))).toHaveProperty('1');
  });

  it('a short-only card refuses an extended SELECT too, and keeps no state from it', async () => {
    const c = cardWith(false);
    expect(sw(await c.process(hex('00a4040000000 8a0000006472f0001 0000'.replace(/ /g, ''))))).toBe('6700');
    expect(sw(await c.process(hex(SHORT_GETINFO)))).toBe('6985');
  });
});
