import { describe, expect, it } from 'vitest';
import { Iso7816Channel } from '../../src/transports/pcsc/iso7816-channel.js';
import { cardError } from '../../src/transports/pcsc/pcsc-binding.js';
import { matchReader } from '../../src/transports/pcsc/readers.js';
import { parseDeviceSelector } from '../../src/devices/discovery.js';
import { lockIdFor } from '../../src/fleet/key-lock.js';
import { FIDO_2_0, hex, ScriptedCard, SELECT, toHex } from './fake-card.js';

const MSG04 = '801080000104 00';

describe('Iso7816Channel', () => {
  it('FIDO_2_0: one SELECT on open, CBOR capable, no wink, label from the reader', async () => {
    const card = new ScriptedCard([[SELECT, FIDO_2_0], [MSG04, '00a1019000']]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    expect(ch.capabilities).toEqual({ wink: false, cbor: true, nmsg: false });
    expect(ch.label).toBe('pcsc:Fake Reader 00');
    expect(toHex(await ch.cbor(hex('04')))).toBe('00a101');
    expect(ch.stats.apdusSent).toBe(2);
  });

  it('a bare 9000 to SELECT (field deviation) still works: the card is probed with getInfo', async () => {
    const card = new ScriptedCard([[SELECT, '9000'], [MSG04, '00a1019000']]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    expect(ch.applet).toBe('unknown');
    expect(ch.capabilities.cbor).toBe(true);
  });

  it('U2F_V2 whose getInfo is refused is a U2F-only key (cbor false)', async () => {
    const card = new ScriptedCard([[SELECT, `${Buffer.from('U2F_V2').toString('hex')}9000`], [MSG04, '6d00']]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    expect(ch.capabilities).toEqual({ wink: false, cbor: false, nmsg: true });
  });

  it('a card reset behind our back (6985: applet no longer selected) is selected again and the command sent once more', async () => {
    const card = new ScriptedCard([[SELECT, FIDO_2_0], [MSG04, '6985'], [SELECT, FIDO_2_0], [MSG04, '00a1019000']]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    expect(toHex(await ch.cbor(hex('04')))).toBe('00a101');
    expect(ch.stats.apdusSent).toBe(4);
  });

  it('a second 6985 after selecting again is an error, not a loop', async () => {
    const card = new ScriptedCard([[SELECT, FIDO_2_0], [MSG04, '6985'], [SELECT, FIDO_2_0], [MSG04, '6985']]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    await expect(ch.cbor(hex('04'))).rejects.toMatchObject({ kind: 'key-error', reason: 'sw-6985' });
  });

  it('a card without the FIDO applet fails to open as unsupported', async () => {
    const card = new ScriptedCard([[SELECT, '6a82']]);
    await expect(Iso7816Channel.open(card)).rejects.toMatchObject({ kind: 'unsupported' });
  });

  it('cancel: after the abort the applet is selected again, which ends the pending command on the card', async () => {
    const ac = new AbortController();
    const card = new ScriptedCard([
      [SELECT, FIDO_2_0],
      ['80108000010b00', '029100'],
      [SELECT, FIDO_2_0],
    ]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    const e = await ch.cbor(hex('0b'), { signal: ac.signal, onKeepalive: () => ac.abort() }).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'cancelled' });
    expect(card.done).toBe(true);
  });

  it('a card leaving the field mid-command is a transport error "disconnected" with the unplugged-key advice', async () => {
    const gone = Object.assign(new Error('Async task error'), { code: 'RemovedCard' });
    const card = new ScriptedCard([[SELECT, FIDO_2_0], [MSG04, cardError('pcsc:Fake Reader 00', 'transmit', gone)]]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0 });
    const e = await ch.cbor(hex('04')).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'transport', reason: 'disconnected' });
    expect((e as Error).message).toMatch(/^The security key at pcsc:Fake Reader 00 was disconnected .*retry$/);
  });

  it('the APDU log names headers and status words, never data bytes', async () => {
    const lines: string[] = [];
    const card = new ScriptedCard([[SELECT, FIDO_2_0], ['8010800005 06a1010203 00', '319000']]);
    const ch = await Iso7816Channel.open(card, { pollMs: 0, log: (l) => lines.push(l) });
    await ch.cbor(hex('06a1010203'));
    expect(lines.join('\n')).not.toMatch(/a1 ?01 ?02 ?03/);
    expect(lines[1]).toMatch(/^APDU 80 10 80 00 \(11 bytes\) -> 1 bytes SW 9000$/);
  });
});

describe('picking a reader by name', () => {
  const readers = [
    { name: 'Virtual PCD 00 00', cardPresent: true },
    { name: 'Virtual PCD 00 01', cardPresent: false },
    { name: 'ACS ACR122U PICC Interface 00 00', cardPresent: true },
  ];
  it.each([
    ['Virtual', 'Virtual PCD 00 00'],
    ['virtual pcd', 'Virtual PCD 00 00'],
    ['Virtual PCD 00 01', 'Virtual PCD 00 01'],
    ['acr122', 'ACS ACR122U PICC Interface 00 00'],
    // Two readers match; only one holds a card.
    ['PCD 00', 'Virtual PCD 00 00'],
  ])('%s -> %s', (q, name) => {
    expect(matchReader(readers, q).name).toBe(name);
  });
  it.each([
    ['0', 'usage'],
    ['nothing', 'no-device'],
  ])('%s fails as %s', (q, kind) => {
    expect(() => matchReader(readers, q)).toThrow(expect.objectContaining({ kind }));
  });
  it('a reader named but empty says to put the key on it', () => {
    expect(() => matchReader([{ name: 'Virtual PCD 00 01', cardPresent: false }], 'virtual')).toThrow(/put the key on the reader/);
  });
});

describe('pcsc: selectors', () => {
  it('parse to the reader part, trimmed; an empty name is a usage error', () => {
    expect(parseDeviceSelector('pcsc:Virtual')).toEqual({ kind: 'pcsc', reader: 'Virtual' });
    expect(parseDeviceSelector('PCSC: ACS ACR122U ')).toEqual({ kind: 'pcsc', reader: 'ACS ACR122U' });
    expect(() => parseDeviceSelector('pcsc:')).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
  it('lock on the full reader name', () => {
    expect(lockIdFor({ label: 'pcsc:Virtual PCD 00 00' })).toBe('pcsc:Virtual PCD 00 00');
  });
});

describe('bounded waits', () => {
  it('a card that never answers an APDU is a transport error after the timeout, not a hang', async () => {
    const silent = { label: 'pcsc:Mute 00', transmit: () => new Promise<Uint8Array>(() => undefined), close: async () => undefined };
    await expect(Iso7816Channel.open(silent, { timeoutMs: 50 })).rejects.toMatchObject({ kind: 'transport', reason: 'timeout' });
  });
});
