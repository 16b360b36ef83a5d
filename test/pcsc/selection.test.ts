import { describe, expect, it } from 'vitest';
import { listAllDevices, parseDeviceSelector, resolveKey } from '../../src/devices/discovery.js';
import { resolveTargets } from '../../src/fleet/selection.js';
import type { PcscKey } from '../../src/transports/pcsc/readers.js';
import { record } from '../helpers/hid-records.js';

const TWO_HID = async () => [record('/dev/hidraw7', 'B'), record('/dev/hidraw3', 'A')];
const NO_HID = async () => [];
const READERS = (...names: string[]) => async (): Promise<PcscKey[]> => names.map((reader) => ({ reader, applet: 'FIDO_2_0' as const }));

describe('numbering: HID keys first, then PC/SC readers', () => {
  it('list numbers readers after the HID keys and names the transport', async () => {
    const all = await listAllDevices({ lister: TWO_HID, listPcsc: READERS('ACS ACR122U 00 00') });
    expect(all.map((d) => [d.index, d.transport, d.path])).toEqual([
      [1, 'usb', '/dev/hidraw3'],
      [2, 'usb', '/dev/hidraw7'],
      [3, 'pcsc', 'pcsc:ACS ACR122U 00 00'],
    ]);
  });

  const cases: { name: string; selector: string; hid: typeof TWO_HID; pcsc: string[]; want: string | RegExp; kind?: string }[] = [
    { name: 'an index within the HID keys', selector: '2', hid: TWO_HID, pcsc: ['R1'], want: 'usb:/dev/hidraw7' },
    { name: 'the first index past the HID keys', selector: '3', hid: TWO_HID, pcsc: ['R1', 'R2'], want: 'pcsc:R1' },
    { name: 'the second reader', selector: '4', hid: TWO_HID, pcsc: ['R1', 'R2'], want: 'pcsc:R2' },
    { name: 'past every key', selector: '5', hid: TWO_HID, pcsc: ['R1', 'R2'], want: /no security key number 5; 2 HID key\(s\) and 2 PC\/SC/, kind: 'no-device' },
    { name: 'no --device, no HID key, one reader', selector: '', hid: NO_HID, pcsc: ['R1'], want: 'pcsc:R1' },
    { name: 'no --device, no HID key, two readers', selector: '', hid: NO_HID, pcsc: ['R1', 'R2'], want: /2 PC\/SC readers hold a FIDO key/, kind: 'usage' },
    { name: 'no --device, nothing at all', selector: '', hid: NO_HID, pcsc: [], want: /No FIDO security key found/, kind: 'no-device' },
  ];
  it.each(cases)('$name', async ({ selector, hid, pcsc, want, kind }) => {
    const p = parseDeviceSelector(selector);
    if (p.kind !== 'index' && p.kind !== 'auto') throw new Error('test table: index or auto only');
    const got = resolveKey(p, { lister: hid, listPcsc: READERS(...pcsc) }).then((k) => (k.transport === 'usb' ? `usb:${k.device.path}` : `pcsc:${k.reader}`));
    if (kind) await expect(got).rejects.toMatchObject({ kind, message: expect.stringMatching(want) });
    else expect(await got).toBe(want);
  });

  it('--device all takes every HID key and every reader with a FIDO key, readers by pcsc:<full name>', async () => {
    const targets = await resolveTargets(['all', '3'], { lister: TWO_HID, listPcsc: READERS('ACS ACR122U 00 00') });
    expect(targets.map((t) => t.selector)).toEqual(['/dev/hidraw3', '/dev/hidraw7', 'pcsc:ACS ACR122U 00 00']);
    expect(targets[2]).not.toHaveProperty('path');
  });
});
