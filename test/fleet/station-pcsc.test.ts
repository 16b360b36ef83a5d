/** The station's PC/SC side: cards laid on readers, the scanner that never disturbs a card being worked on, a key's own CCID interface. */
import { describe, expect, it } from 'vitest';
import { type StationEvent, watchStation } from '../../src/fleet/station.js';
import type { Target } from '../../src/fleet/selection.js';
import { pcscScanner } from '../../src/transports/pcsc/readers.js';
import type { PcscSystem, ReaderState } from '../../src/transports/pcsc/pcsc-binding.js';
import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';

const FIDO = Uint8Array.from([...Buffer.from('FIDO_2_0'), 0x90, 0x00]);
const NOT_HERE = Uint8Array.of(0x6a, 0x82); // SELECT: file or application not found (a bank card)

/** A PC/SC service over a script of reader states, one per look; records every connect. */
function service(script: ReaderState[][], fido: (reader: string) => boolean) {
  let look = 0;
  const connects: string[] = [];
  const openSystem = async (): Promise<PcscSystem> => {
    const readers = script[Math.min(look++, script.length - 1)]!;
    return {
      readers: async () => readers,
      connect: async (name) => {
        connects.push(name);
        return { label: `pcsc:${name}`, transmit: async () => (fido(name) ? FIDO : NOT_HERE), close: async () => undefined };
      },
      close: () => undefined,
    };
  };
  return { openSystem, connects };
}

const R = (name: string, cardPresent = true): ReaderState => ({ name, cardPresent });

describe('pcscScanner', () => {
  it('connects only to cards it does not know, and asks a non-FIDO card once per placement', async () => {
    const s = service(
      [[R('NFC 00'), R('Bank 00')], [R('NFC 00'), R('Bank 00')], [R('NFC 00'), R('Bank 00', false)], [R('NFC 00'), R('Bank 00')]],
      (name) => name === 'NFC 00',
    );
    const scan = pcscScanner({ openSystem: s.openSystem });
    const known = new Set<string>();
    expect(await scan((r) => known.has(r))).toEqual(['NFC 00']);
    known.add('NFC 00'); // now being worked on
    expect(await scan((r) => known.has(r))).toEqual(['NFC 00']);
    expect(await scan((r) => known.has(r))).toEqual(['NFC 00']);
    expect(await scan((r) => known.has(r))).toEqual(['NFC 00']);
    // NFC 00 once (before it was known); the bank card once, and once more when laid on again.
    expect(s.connects).toEqual(['NFC 00', 'Bank 00', 'Bank 00']);
  });

  it('a card that cannot be connected to now (held by another program) is asked again at the next look', async () => {
    let refused = 1;
    const connects: string[] = [];
    const openSystem = async (): Promise<PcscSystem> => ({
      readers: async () => [R('NFC 00')],
      connect: async (name) => {
        connects.push(name);
        if (refused-- > 0) throw new Error('sharing violation');
        return { label: `pcsc:${name}`, transmit: async () => FIDO, close: async () => undefined };
      },
      close: () => undefined,
    });
    const scan = pcscScanner({ openSystem });
    expect(await scan(() => false)).toEqual([]);
    expect(await scan(() => false)).toEqual(['NFC 00']);
    expect(connects).toEqual(['NFC 00', 'NFC 00']);
  });

  it('finds nothing without PC/SC', async () => {
    const scan = pcscScanner({ openSystem: async () => Promise.reject(new Error('no service')) });
    expect(await scan(() => false)).toEqual([]);
  });
});

describe('watchStation over PC/SC readers', () => {
  async function run(script: string[][], hid: HidDeviceRecord[] = []): Promise<{ events: string[]; known: string[][] }> {
    const ac = new AbortController();
    let look = 0;
    const events: string[] = [];
    const known: string[][] = [];
    await watchStation<string>({
      hid: true,
      pcsc: true,
      tcp: [],
      includePresent: false,
      pollMs: 1,
      signal: ac.signal,
      deps: {
        lister: async () => hid,
        scanPcsc: async (isKnown) => {
          const now = script[Math.min(look, script.length - 1)]!;
          if (++look > script.length) ac.abort();
          known.push(now.filter(isKnown));
          return now;
        },
      },
      onEvent: (e: StationEvent<string>) => events.push(`${e.event} ${e.target.selector}`),
      provision: async (t: Target) => ({ target: t, ok: true, value: 'done' }),
    });
    return { events, known };
  }

  it('a card laid on a reader is provisioned once while it stays, and is known (not connected to) meanwhile', async () => {
    const { events, known } = await run([[], ['ACS ACR122U 00 00'], ['ACS ACR122U 00 00'], []]);
    expect(events).toEqual(['arrived pcsc:ACS ACR122U 00 00', 'result pcsc:ACS ACR122U 00 00', 'removed pcsc:ACS ACR122U 00 00']);
    expect(known.slice(1, 3)).toEqual([[], ['ACS ACR122U 00 00']]);
  });

  it("a USB key's own CCID interface is left to its HID side", async () => {
    const hid = [{ path: '/dev/hidraw4', vendorId: 0x349e, productId: 0x22, serialNumber: 'T2S1', product: 'T2F2 FIDO+CCID', usagePage: 0xf1d0, usage: 1 } as HidDeviceRecord];
    const { events } = await run([[], ['Token2 T2F2 FIDO+CCID (T2S1) 00 00']], []);
    expect(events).toEqual(['arrived pcsc:Token2 T2F2 FIDO+CCID (T2S1) 00 00', 'result pcsc:Token2 T2F2 FIDO+CCID (T2S1) 00 00']);
    const twin = await run([[], ['Token2 T2F2 FIDO+CCID (T2S1) 00 00']], hid);
    expect(twin.events.filter((e) => e.includes('pcsc:'))).toEqual([]);
  });
});
