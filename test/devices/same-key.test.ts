import { describe, expect, it } from 'vitest';
import { hidTwinOf, readerUsbSerial } from '../../src/devices/same-key.js';
import { listAllDevices } from '../../src/devices/discovery.js';
import { resolveTargets } from '../../src/fleet/selection.js';
import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';

describe('the USB serial pcsc-lite puts in a reader name', () => {
  it.each([
    ['Token2 T2F2-NFC FIDO+CCID (A1B2C3D4) 00 00', 'A1B2C3D4'],
    ['Nitrokey Nitrokey 3 [CCID/ICCD Interface] (1234567890ABCDEF) 01 00', '1234567890ABCDEF'],
    ['ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] (1210305A) 00 00', '1210305A'],
    ['Yubico YubiKey OTP+FIDO+CCID 00 00', undefined],
    ['Yubico YubiKey OTP+FIDO+CCID 0', undefined],
    ['Virtual PCD 00 00', undefined],
  ])('%s', (reader, serial) => {
    expect(readerUsbSerial(reader)).toBe(serial);
  });
});

describe('the HID key a reader is the CCID interface of', () => {
  const hid = [
    { path: '/dev/hidraw1', serialNumber: 'A1B2C3D4', product: 'T2F2-NFC FIDO+CCID' },
    { path: '/dev/hidraw2', serialNumber: '1210305A', product: 'Some Other Key' },
    { path: '/dev/hidraw3', serialNumber: 'C0FFEE' },
  ];
  it.each([
    ['same serial and product', 'Token2 T2F2-NFC FIDO+CCID (A1B2C3D4) 00 00', '/dev/hidraw1'],
    ['a contactless reader whose own serial happens to match a key, not its product', 'ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] (1210305A) 00 00', undefined],
    ['a HID key without a product string: the serial decides', 'Vendor Key (C0FFEE) 00 00', '/dev/hidraw3'],
    ['no serial in the name', 'Token2 T2F2-NFC FIDO+CCID 00 00', undefined],
    ['a serial no HID key has', 'Token2 T2F2-NFC FIDO+CCID (FFFF) 00 00', undefined],
  ])('%s', (_n, reader, path) => {
    expect(hidTwinOf(reader, hid)?.path).toBe(path);
  });
});

describe('a key seen as HID and over its own CCID interface', () => {
  const lister = async (): Promise<HidDeviceRecord[]> =>
    [{ path: '/dev/hidraw1', vendorId: 0x349e, productId: 0x0022, serialNumber: 'A1B2C3D4', product: 'T2F2-NFC FIDO+CCID', release: 0, interface: 0, usagePage: 0xf1d0, usage: 1 }] as HidDeviceRecord[];
  const listPcsc = async () => [
    { reader: 'Token2 T2F2-NFC FIDO+CCID (A1B2C3D4) 00 00', applet: 'FIDO_2_0' as const },
    { reader: 'ACS ACR122U PICC Interface 00 00', applet: 'FIDO_2_0' as const },
  ];
  it('is listed twice, the reader saying whose interface it is, and `all` names it once', async () => {
    const listed = await listAllDevices({ lister, listPcsc });
    expect(listed.map((d) => ('sameKeyAs' in d ? d.sameKeyAs : undefined))).toEqual([undefined, '/dev/hidraw1', undefined]);
    const targets = await resolveTargets(['all'], { lister, listPcsc });
    expect(targets.map((t) => t.selector)).toEqual(['/dev/hidraw1', 'pcsc:ACS ACR122U PICC Interface 00 00']);
    // Named on purpose, the CCID interface is still reachable.
    expect((await resolveTargets(['2'], { lister, listPcsc })).map((t) => t.selector)).toEqual(['pcsc:Token2 T2F2-NFC FIDO+CCID (A1B2C3D4) 00 00']);
  });
});
