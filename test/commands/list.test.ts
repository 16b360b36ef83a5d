import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatDevice, runList } from '../../src/commands/device/list.js';
import { type DeviceInfo, noDeviceMessage } from '../../src/devices/discovery.js';
import { setJsonCommand } from '../../src/commands/output.js';

const KEYS: DeviceInfo[] = [
  { index: 1, path: '/dev/hidraw3', vendorId: 0x1050, productId: 0x0407, product: 'YubiKey OTP+FIDO+CCID', manufacturer: 'Yubico', serialNumber: '' },
  { index: 2, path: '/dev/hidraw7', vendorId: 0x349e, productId: 0x0022, product: 'T2F2', manufacturer: 'Token2' },
];

function captureStdout(): { text: () => string } {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  return { text: () => out };
}

afterEach(() => vi.restoreAllMocks());

describe('list', () => {
  it('shows index, manufacturer, product, VID:PID, serial and path', () => {
    expect(formatDevice(KEYS[0]!)).toBe('1: Yubico YubiKey OTP+FIDO+CCID (1050:0407) serial - at /dev/hidraw3');
    expect(formatDevice(KEYS[1]!)).toBe('2: Token2 T2F2 (349e:0022) serial - at /dev/hidraw7');
  });

  it('prints one line per key, or the JSON array', async () => {
    const out = captureStdout();
    await runList({}, async () => KEYS);
    expect(out.text().trim().split('\n')).toHaveLength(2);
    const json = captureStdout();
    setJsonCommand('list'); // the CLI sets it from the arguments
    await runList({ json: true }, async () => KEYS);
    expect(JSON.parse(json.text())).toEqual({ ok: true, device: null, command: 'list', devices: KEYS });
  });

  it('says how to check the connection when there is no key', async () => {
    const out = captureStdout();
    await runList({}, async () => []);
    expect(out.text()).toBe(`${noDeviceMessage()}\n`);
  });
});
