/** node-hid replaced by a fake module: filtering, report-ID framing, load and disconnect errors. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { Fido2Error } from '../../../src/errors.js';

const fake = vi.hoisted(() => ({
  devices: [] as Array<Record<string, unknown>>,
  devicesError: undefined as Error | undefined,
  openError: undefined as Error | undefined,
  written: [] as Buffer[],
  reads: [] as Array<Buffer | Error>,
  closed: 0,
}));

vi.mock('node-hid', () => ({
  devicesAsync: async () => {
    if (fake.devicesError) throw fake.devicesError;
    return fake.devices;
  },
  HIDAsync: {
    open: async () => {
      if (fake.openError) throw fake.openError;
      return {
        write: async (b: Buffer) => {
          fake.written.push(Buffer.from(b));
          return b.length;
        },
        read: async (timeout: number) => {
          const next = fake.reads.shift();
          if (next instanceof Error) throw next;
          if (next) return next;
          await new Promise((r) => setTimeout(r, Math.min(timeout, 5)));
          return Buffer.alloc(0);
        },
        close: async () => {
          fake.closed++;
        },
      };
    },
  },
}));

const { listFidoHidDevices, openNodeHidTransport } = await import('../../../src/transports/node-hid/node-hid-transport.js');

beforeEach(() => {
  fake.devices = [];
  fake.devicesError = undefined;
  fake.openError = undefined;
  fake.written = [];
  fake.reads = [];
  fake.closed = 0;
});

describe('node-hid transport (fake node-hid)', () => {
  it('lists only FIDO interfaces (usage page 0xF1D0, usage 1)', async () => {
    fake.devices = [
      { path: 'a', vendorId: 1, productId: 2, usagePage: 0xf1d0, usage: 1, release: 0, interface: 0 },
      { path: 'b', vendorId: 1, productId: 2, usagePage: 0x01, usage: 6, release: 0, interface: 1 },
      { path: 'c', vendorId: 1, productId: 2, usagePage: 0xf1d0, usage: 2, release: 0, interface: 2 },
    ];
    expect((await listFidoHidDevices()).map((d) => d.path)).toEqual(['a']);
  });

  it('turns a native load failure into the libusb hint', async () => {
    fake.devicesError = Object.assign(new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory'), {
      code: 'ERR_DLOPEN_FAILED',
    });
    const e = await listFidoHidDevices().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Fido2Error).message).toBe(
      'Cannot load node-hid (libusb-1.0.so.0: cannot open shared object file: No such file or directory): install the libusb-1.0-0 package (Debian/Ubuntu: sudo apt-get install libusb-1.0-0)',
    );
  });

  it('prepends report ID 0 on write and strips nothing on read', async () => {
    const t = await openNodeHidTransport('/fake/path');
    const report = new Uint8Array(64).fill(0x42);
    await t.write(report);
    expect(fake.written[0]!.length).toBe(65);
    expect(fake.written[0]![0]).toBe(0);
    expect(fake.written[0]!.subarray(1)).toEqual(Buffer.from(report));
    fake.reads.push(Buffer.alloc(64, 7));
    expect(await t.read(100)).toEqual(new Uint8Array(64).fill(7));
    expect(await t.read(30)).toBeUndefined();
    await t.close();
    await t.close();
    expect(fake.closed).toBe(1);
  });

  it('reports a read failure as a disconnected key, and keeps failing', async () => {
    const t = await openNodeHidTransport('/fake/path');
    fake.reads.push(new Error('could not read data from device'));
    await expect(t.read(100)).rejects.toThrow(/^The security key at \/fake\/path was disconnected \(read failed: could not read data from device\); plug it in again and retry$/);
    await expect(t.write(new Uint8Array(64))).rejects.toThrow(/disconnected/);
  });

  it.runIf(process.platform === 'linux').each([
    ['ENODEV', 'No such device'],
    ['ENXIO', 'No such device or address'],
  ])('says the key is gone when opening its Linux node fails with %s (it was unplugged), not "close programs"', async (_errno, text) => {
    // hidapi's hidraw backend puts strerror(errno) in its message; /dev/null stands in for a node that still exists.
    fake.openError = new Error(`cannot open device with path /dev/null: Failed to open a device with path '/dev/null': ${text}`);
    const e = await openNodeHidTransport('/dev/null').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Fido2Error).kind).toBe('no-device');
    expect((e as Fido2Error).message).toBe('The security key at /dev/null is gone (it was unplugged); plug it in and retry');
  });

  it('explains an open failure that is not about permissions without a udev hint', async () => {
    fake.openError = new Error('cannot open device with path /fake/path');
    const e = await openNodeHidTransport('/fake/path').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Fido2Error).message).toBe('Cannot open the security key at /fake/path (cannot open device with path /fake/path); close programs using it and retry');
  });
});
