/**
 * Extended APDUs over PC/SC: read from the card's ATR (ISO/IEC 7816-4 card
 * capabilities), used for NFCCTAP_MSG when announced, and dropped for short
 * APDUs when a card refuses one.
 */
import { describe, expect, it } from 'vitest';
import { announcesExtendedLength, cardCapabilities, historicalBytes, refusesExtended } from '../../src/transports/pcsc/atr.js';
import { commandApdus } from '../../src/transports/pcsc/apdu.js';
import { Iso7816Channel, useExtended } from '../../src/transports/pcsc/iso7816-channel.js';
import { isExtendedApdu } from '../../src/transports/pcsc/pcsc-binding.js';
import { capabilityHistoricalBytes, contactlessAtr } from '../../src/sim/apdu.js';
import { FIDO_2_0, hex, ScriptedCard, SELECT, toHex } from './fake-card.js';

describe('what the ATR says about extended APDUs', () => {
  const cases: { name: string; atr: string | undefined; hist: string | undefined; extended: boolean }[] = [
    { name: 'no ATR reported', atr: undefined, hist: undefined, extended: false },
    { name: 'contactless, no historical bytes (the virtual card before)', atr: '3b80800101', hist: '', extended: false },
    { name: 'YubiKey NEO style caps c0 (chaining + extended)', atr: `3b8d8001${'8073c021c057597562694b6579'}f9`, hist: '8073c021c057597562694b6579', extended: true },
    { name: 'caps announce chaining only (80)', atr: '3b8580018073800180f6', hist: '8073800180', extended: false },
    { name: 'caps with two tables only (no third)', atr: '3b848001807280010077', hist: '80728001', extended: false },
    { name: 'category 00: status indicator after the TLVs', atr: '3b888001007380014081059000ff', hist: '0073800140810590', extended: true },
    { name: 'category 31 (DIR data reference), not compact-TLV caps', atr: '3b848001317380c0ff', hist: '317380c0', extended: false },
    { name: 'T0 announces more history than there is', atr: '3b8f800180', hist: undefined, extended: false },
  ];
  it.each(cases)('$name', ({ atr, hist, extended }) => {
    const bytes = atr === undefined ? undefined : hex(atr);
    if (bytes && hist !== undefined) expect(toHex(historicalBytes(bytes)!)).toBe(hist);
    expect(announcesExtendedLength(bytes)).toBe(extended);
  });

  it('skips the interface bytes that TD announces (contact ATR, T=1, TA1 TD1 TD2 TA3 TB3)', () => {
    // T0=D5: TA1 TC1 TD1 and 5 historical bytes; TD1=81: TD2; TD2=31: TA3 TB3; then the history.
    const atr = hex('3bd518ff8131fe4580 7380c0 00');
    expect(toHex(historicalBytes(atr)!)).toBe('807380c000');
  });

  it('finds tag 7 after other compact-TLV objects and stops at a truncated one', () => {
    expect(toHex(cardCapabilities(hex('80 43aabbcc 7380c040'))!)).toBe('80c040');
    expect(cardCapabilities(hex('80 7580'))).toBeUndefined();
  });

  it('the virtual card announces what it takes: extended by default, chaining only when short', () => {
    expect(announcesExtendedLength(contactlessAtr(capabilityHistoricalBytes(true)))).toBe(true);
    expect(announcesExtendedLength(contactlessAtr(capabilityHistoricalBytes(false)))).toBe(false);
  });

  it('the caller may force either way', () => {
    const yes = contactlessAtr(capabilityHistoricalBytes(true));
    expect(useExtended({}, yes)).toBe(true);
    expect(useExtended({ extended: false }, yes)).toBe(false);
    expect(useExtended({ extended: true }, undefined)).toBe(true);
  });
});

describe('command APDU encoding', () => {
  const c = (n: number) => ({ cla: 0x80, ins: 0x10, p1: 0x80, p2: 0, data: new Uint8Array(n).fill(0xab) });
  const cases: { name: string; n: number; extended: boolean; want: string[] }[] = [
    { name: 'short, 1 byte', n: 1, extended: false, want: ['80108000 01 ab 00'] },
    { name: 'extended, 1 byte: 00 Lc(2) data Le(2)', n: 1, extended: true, want: ['80108000 000001 ab 0000'] },
    { name: 'extended, 300 bytes in one APDU', n: 300, extended: true, want: [`80108000 00012c ${'ab'.repeat(300)} 0000`] },
    { name: 'short, 300 bytes: chained 240 + 60', n: 300, extended: false, want: [`90108000 f0 ${'ab'.repeat(240)}`, `80108000 3c ${'ab'.repeat(60)} 00`] },
  ];
  it.each(cases)('$name', ({ n, extended, want }) => {
    expect(commandApdus(c(n), { extended }).map(toHex)).toEqual(want.map((w) => w.replace(/\s+/g, '')));
  });

  it.each([
    ['00a4040008a0000006472f000100', false],
    ['00c0000000', false],
    ['801080000104', false],
    ['8010800000000104 0000', true],
    ['8011800000', false],
  ])('isExtendedApdu(%s) = %s', (apdu, want) => {
    expect(isExtendedApdu(hex(apdu))).toBe(want);
  });

  it.each([
    [0x6700, true],
    [0x6781, true],
    [0x6d00, true],
    [0x6e00, true],
    [0x6985, false],
    [0x6a80, false],
    [0x9000, false],
  ])('refusesExtended(%s)', (sw, want) => {
    expect(refusesExtended(sw)).toBe(want);
  });
});

const EXT_ATR = contactlessAtr(capabilityHistoricalBytes(true));
const SHORT_ATR = contactlessAtr(capabilityHistoricalBytes(false));
const BIG = '00' + 'cd'.repeat(296);

describe('Iso7816Channel picks the APDU form from the ATR', () => {
  it('a card that announces extended lengths gets getInfo in one extended APDU and answers 297 bytes at once', async () => {
    const card = Object.assign(new ScriptedCard([[SELECT, FIDO_2_0], ['8010800000000104 0000', `${BIG}9000`]]), { atr: EXT_ATR });
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    expect(ch.extendedApdus).toBe(true);
    expect(toHex(await ch.cbor(hex('04')))).toBe(BIG);
    expect(ch.stats.apdusSent).toBe(2);
  });

  it('a card that does not: short NFCCTAP_MSG, then GET RESPONSE for the rest', async () => {
    const card = Object.assign(
      new ScriptedCard([[SELECT, FIDO_2_0], ['801080000104 00', `${BIG.slice(0, 512)}6129`], ['00c0000029', `${BIG.slice(512)}9000`]]),
      { atr: SHORT_ATR },
    );
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    expect(ch.extendedApdus).toBe(false);
    expect(toHex(await ch.cbor(hex('04')))).toBe(BIG);
    expect(ch.stats.apdusSent).toBe(3);
  });

  it.each(['6700', '6d00', '6e00'])('a card that announced them but answers an extended APDU %s gets the command again short, and short from then on', async (sw) => {
    const logged: string[] = [];
    const card = Object.assign(
      new ScriptedCard([
        [SELECT, FIDO_2_0],
        ['8010800000000104 0000', sw],
        ['801080000104 00', '00a1019000'],
        ['801080000106 00', '00a1029000'],
      ]),
      { atr: EXT_ATR },
    );
    const ch = await Iso7816Channel.open(card, { pollMs: 0, log: (l) => logged.push(l) });
    expect(toHex(await ch.cbor(hex('04')))).toBe('00a101');
    expect(ch.extendedApdus).toBe(false);
    expect(toHex(await ch.cbor(hex('06')))).toBe('00a102');
    expect(card.done).toBe(true);
    expect(logged.join('\n')).toMatch(/refused an extended APDU; using short APDUs/);
  });

  it('a short-only card that has no FIDO2 applet still says so after the fallback (6D00 twice)', async () => {
    const card = Object.assign(new ScriptedCard([[SELECT, FIDO_2_0], ['8010800000000104 0000', '6d00'], ['801080000104 00', '6d00']]), { atr: EXT_ATR });
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    await expect(ch.cbor(hex('04'))).rejects.toMatchObject({ kind: 'unsupported', reason: 'sw-6D00' });
  });
});
