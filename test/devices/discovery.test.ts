import { describe, expect, it } from 'vitest';
import { Fido2Error } from '../../src/errors.js';
import { LINUX_UDEV_RULE, NO_DEVICE_MESSAGE, describeDevice, listDevices, noDeviceMessage, openDevice, parseDeviceSelector } from '../../src/devices/discovery.js';
import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';
import type { Transport } from '../../src/transports/ctaphid/transport.js';
import { ScriptedTransport } from '../transports/ctaphid/scripted-transport.js';
import { miniKeyTransport } from '../transports/ctaphid/mini-key.js';
import { rejection } from '../helpers/rejection.js';

const rec = (path: string, extra: Partial<HidDeviceRecord> = {}): HidDeviceRecord => ({
  path,
  vendorId: 0x1050,
  productId: 0x0407,
  product: 'YubiKey OTP+FIDO+CCID',
  manufacturer: 'Yubico',
  serialNumber: '',
  release: 0x0512,
  interface: 1,
  usagePage: 0xf1d0,
  usage: 1,
  ...extra,
});

const lister = (records: HidDeviceRecord[]) => async () => records;


describe('parseDeviceSelector', () => {
  it('recognises every selector form', () => {
    expect(parseDeviceSelector(undefined)).toEqual({ kind: 'auto' });
    expect(parseDeviceSelector('')).toEqual({ kind: 'auto' });
    expect(parseDeviceSelector('sim')).toEqual({ kind: 'sim' });
    expect(parseDeviceSelector('tcp:127.0.0.1:35962')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 35962 });
    expect(parseDeviceSelector('tcp:[::1]:8080')).toEqual({ kind: 'tcp', host: '::1', port: 8080 });
    expect(parseDeviceSelector('2')).toEqual({ kind: 'index', index: 2 });
    expect(parseDeviceSelector('/dev/hidraw3')).toEqual({ kind: 'path', path: '/dev/hidraw3' });
    expect(parseDeviceSelector('\\\\?\\hid#vid_1050&pid_0407')).toEqual({ kind: 'path', path: '\\\\?\\hid#vid_1050&pid_0407' });
    expect(parseDeviceSelector('DevSrvsID:4294971234')).toEqual({ kind: 'path', path: 'DevSrvsID:4294971234' });
  });

  it.each(['tcp:host', 'tcp:host:0', 'tcp:host:70000', 'tcp::5', '0', '-1', '+2', 'abc', 'hidraw3', 'simulator'])('rejects %s as a usage error naming the accepted forms', (s) => {
    expect(() => parseDeviceSelector(s)).toThrow(Fido2Error);
    try {
      parseDeviceSelector(s);
    } catch (e) {
      expect((e as Fido2Error).kind).toBe('usage');
      expect((e as Fido2Error).message).toContain(`Bad --device "${s}"`);
      expect((e as Fido2Error).message).toMatch(/a number from `fido2-manage list`, a HID path .*serial:SERIAL, tcp:HOST:PORT .*or sim\.$/);
      expect((e as Fido2Error).message).not.toContain('\n');
    }
  });
});

describe('listDevices', () => {
  it('numbers devices from 1 in path order and drops duplicates', async () => {
    const list = await listDevices({ lister: lister([rec('/dev/hidraw9'), rec('/dev/hidraw2', { product: 'Solo' }), rec('/dev/hidraw9')]) });
    expect(list.map((d) => [d.index, d.path])).toEqual([
      [1, '/dev/hidraw2'],
      [2, '/dev/hidraw9'],
    ]);
    expect(list[0]).toEqual({ index: 1, path: '/dev/hidraw2', vendorId: 0x1050, productId: 0x0407, product: 'Solo', manufacturer: 'Yubico' });
  });

  it('returns [] on this machine (no keys) without throwing', async () => {
    expect(await listDevices()).toEqual([]);
  });

  it('describes a device on one line', () => {
    expect(describeDevice({ index: 1, path: '/dev/hidraw2', vendorId: 0x1050, productId: 0x407, manufacturer: 'Yubico', product: 'YubiKey', serialNumber: 'X1' })).toBe(
      '1: Yubico YubiKey (1050:0407) serial X1 /dev/hidraw2',
    );
    expect(describeDevice({ index: 3, path: 'p', vendorId: 1, productId: 2 })).toBe('3: FIDO security key (0001:0002) p');
  });
});

describe('noDeviceMessage', () => {
  it.each([
    ['linux', false, true],
    ['linux', true, false],
    ['darwin', false, false],
    ['win32', false, false],
  ] as const)('on %s (root: %s) gives the udev hint: %s', (platform, root, hint) => {
    const message = noDeviceMessage({ platform, root });
    expect(message).toMatch(/^No FIDO security key found\. Check that it is plugged in/);
    expect(message.includes(LINUX_UDEV_RULE)).toBe(hint);
    expect(message.includes('udev')).toBe(hint);
  });
});

describe('openDevice', () => {
  const opened: string[] = [];
  const openHid = async (path: string): Promise<Transport> => {
    opened.push(path);
    return miniKeyTransport();
  };

  it('with no device says how to fix it', async () => {
    const e = await rejection(openDevice(undefined, { lister: lister([]) }));
    expect(e.kind).toBe('no-device');
    expect(e.message).toBe(NO_DEVICE_MESSAGE);
    expect(e.message).not.toContain('\n');
    const asked = await rejection(openDevice('5', { lister: lister([]) }));
    expect(asked.message).toMatch(/^No FIDO security key found \(asked for 5\)\./);
  });

  it('numbers /dev/hidraw2 before /dev/hidraw10', async () => {
    const devices = await listDevices({ lister: lister([rec('/dev/hidraw10'), rec('/dev/hidraw2')]) });
    expect(devices.map((d) => d.path)).toEqual(['/dev/hidraw2', '/dev/hidraw10']);
  });

  it('selects by serial number, and names a serial nobody has', async () => {
    const devices = lister([rec('/dev/hidraw1', { serialNumber: 'AAA' }), rec('/dev/hidraw2', { serialNumber: 'BBB' })]);
    opened.length = 0;
    await openDevice('serial:BBB', { lister: devices, openHid });
    expect(opened).toEqual(['/dev/hidraw2']);
    const e = await rejection(openDevice('serial:CCC', { lister: devices, openHid }));
    expect(e.kind).toBe('no-device');
    expect(e.message).toMatch(/^No FIDO security key with serial CCC/);
    expect(parseDeviceSelector('serial:X9')).toEqual({ kind: 'serial', serial: 'X9' });
    expect(() => parseDeviceSelector('serial:')).toThrow(/serial:SERIAL/);
  });

  it('uses the only device when none is selected', async () => {
    opened.length = 0;
    const dev = await openDevice(undefined, { lister: lister([rec('/dev/hidraw5')]), openHid });
    expect(opened).toEqual(['/dev/hidraw5']);
    expect(dev.channelId).toBeGreaterThan(0);
  });

  it('with several devices and no selector lists them and asks for --device N', async () => {
    const e = await rejection(openDevice(undefined, { lister: lister([rec('/dev/hidraw7'), rec('/dev/hidraw1')]), openHid }));
    expect(e.kind).toBe('usage');
    expect(e.message.split('\n')).toEqual([
      '2 FIDO security keys are connected; pass --device N to pick one:',
      '  1: Yubico YubiKey OTP+FIDO+CCID (1050:0407) /dev/hidraw1',
      '  2: Yubico YubiKey OTP+FIDO+CCID (1050:0407) /dev/hidraw7',
    ]);
  });

  it('selects by 1-based index and by path', async () => {
    const devices = lister([rec('/dev/hidraw7'), rec('/dev/hidraw1')]);
    opened.length = 0;
    await openDevice('2', { lister: devices, openHid });
    await openDevice('/dev/hidraw1', { lister: devices, openHid });
    expect(opened).toEqual(['/dev/hidraw7', '/dev/hidraw1']);
  });

  it('rejects an index or path that does not exist as no-device', async () => {
    const devices = lister([rec('/dev/hidraw1')]);
    expect((await rejection(openDevice('3', { lister: devices, openHid }))).message).toMatch(/^There is no security key number 3; connected keys:/);
    const e = await rejection(openDevice('/dev/hidraw9', { lister: devices, openHid }));
    expect(e.kind).toBe('no-device');
    expect(e.message).toMatch(/^No FIDO security key at \/dev\/hidraw9/);
  });

  it('routes sim and tcp selectors to their transports', async () => {
    const calls: string[] = [];
    await openDevice('sim', { openSim: async () => (calls.push('sim'), miniKeyTransport()) });
    await openDevice('tcp:localhost:9', { openTcp: async (h, p) => (calls.push(`${h}:${p}`), miniKeyTransport()) });
    expect(calls).toEqual(['sim', 'localhost:9']);
  });

  it('closes the transport when INIT fails', async () => {
    const t = new ScriptedTransport([{ expect: (r) => r[4] === 0x86, label: 'INIT' }]);
    const e = await rejection(openDevice('sim', { openSim: async () => t, timeoutMs: 50 }));
    expect(e.message).toMatch(/No reply/);
    expect(t.closed).toBe(true);
  });

  it('tcp selector with nothing listening is no-device', async () => {
    const e = await rejection(openDevice('tcp:127.0.0.1:1'));
    expect(e.kind).toBe('no-device');
  });
});
