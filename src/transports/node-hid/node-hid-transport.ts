/**
 * Transport to a USB security key through node-hid's async API. node-hid is
 * a native module: it is imported only when HID is really used, and a load
 * failure becomes one actionable error instead of a stack trace.
 */
import { access, constants } from 'node:fs/promises';
import type { Device, HIDAsync } from 'node-hid';
import { Fido2Error } from '../../errors.js';
import { REPORT_SIZE, type Transport } from '../ctaphid/transport.js';

/** FIDO HID usage page and usage (CTAP 2.1 §11.2.8.1). */
export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE = 0x01;

/** Longest single native read, so a CANCEL write queued behind it goes out promptly (node-hid runs one job per device at a time). */
const MAX_NATIVE_READ_MS = 50;

export const LINUX_ACCESS_HINT = 'on Linux, non-root access needs a udev rule, see README "Linux access"';

interface NodeHid {
  devicesAsync(): Promise<Device[]>;
  HIDAsync: { open(path: string, options?: { nonExclusive?: boolean }): Promise<HIDAsync> };
}

export type HidDeviceRecord = Device;

let loaded: Promise<NodeHid> | undefined;

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

function loadError(error: unknown): Fido2Error {
  return new Fido2Error(
    'transport',
    `Cannot load node-hid (${firstLine(error)}): install the libusb-1.0-0 package (Debian/Ubuntu: sudo apt-get install libusb-1.0-0)`,
    { cause: error },
  );
}

/** node-hid binds its native library on first use, so load failures can surface at the first call too. */
function isNativeLoadFailure(error: unknown): boolean {
  const e = error as NodeJS.ErrnoException;
  return (
    e?.code === 'ERR_DLOPEN_FAILED' ||
    e?.code === 'MODULE_NOT_FOUND' ||
    /shared object|cannot open shared|No native build|dlopen|\.node\b|libusb|libudev/i.test(firstLine(error))
  );
}

async function loadNodeHid(): Promise<NodeHid> {
  loaded ??= import('node-hid').then(
    // node-hid is CommonJS: named exports when Node detects them, else under default.
    (mod) => (typeof (mod as Partial<NodeHid>).devicesAsync === 'function' ? mod : (mod as { default: NodeHid }).default) as NodeHid,
    (error: unknown) => {
      loaded = undefined;
      throw loadError(error);
    },
  );
  return loaded;
}

/** All HID interfaces with the FIDO usage page/usage. Throws Fido2Error('transport') when node-hid cannot load. */
export async function listFidoHidDevices(): Promise<HidDeviceRecord[]> {
  const hid = await loadNodeHid();
  let all: Device[];
  try {
    all = await hid.devicesAsync();
  } catch (error) {
    if (isNativeLoadFailure(error)) throw loadError(error);
    throw new Fido2Error('transport', `Cannot list HID devices (${firstLine(error)}); retry`, { cause: error });
  }
  return all.filter((d) => d.usagePage === FIDO_USAGE_PAGE && d.usage === FIDO_USAGE && d.path);
}

/**
 * On Linux a hidraw node whose device was unplugged can still be opened by path until udev removes it,
 * and open() then fails with ENODEV (or ENXIO); hidapi only passes on strerror's text.
 */
function unpluggedOnOpen(error: unknown): boolean {
  return /\bNo such device\b/.test(firstLine(error));
}

async function openError(path: string, error: unknown): Promise<Fido2Error> {
  if (isNativeLoadFailure(error)) return loadError(error);
  if (process.platform === 'linux' && path.startsWith('/dev/')) {
    try {
      await access(path, constants.R_OK | constants.W_OK);
    } catch (accessError) {
      if ((accessError as NodeJS.ErrnoException).code === 'EACCES') {
        return new Fido2Error('transport', `No permission to open the security key at ${path}; ${LINUX_ACCESS_HINT}`, { cause: error });
      }
      return new Fido2Error('no-device', `The security key at ${path} is gone; plug it in and retry`, { cause: error });
    }
    if (unpluggedOnOpen(error)) {
      return new Fido2Error('no-device', `The security key at ${path} is gone (it was unplugged); plug it in and retry`, { cause: error });
    }
  }
  return new Fido2Error(
    'transport',
    // Not a permission problem (checked above on Linux): a udev hint would mislead.
    `Cannot open the security key at ${path} (${firstLine(error)}); close programs using it and retry`,
    { cause: error },
  );
}

function disconnected(path: string, op: string, error: unknown): Fido2Error {
  return new Fido2Error(
    'transport',
    `The security key at ${path} was disconnected (${op} failed: ${firstLine(error)}); plug it in again and retry`,
    { cause: error },
  );
}

export async function openNodeHidTransport(path: string): Promise<Transport> {
  const hid = await loadNodeHid();
  let device: HIDAsync;
  try {
    device = await hid.HIDAsync.open(path);
  } catch (error) {
    throw await openError(path, error);
  }
  let closed = false;
  let gone: Fido2Error | undefined;
  const closedError = (): Fido2Error =>
    new Fido2Error('transport', 'The connection to the security key is closed; open the device again');

  return {
    label: path,
    async write(report: Uint8Array): Promise<void> {
      if (closed) throw closedError();
      if (gone) throw gone;
      if (report.length !== REPORT_SIZE) {
        throw new Fido2Error('transport', `Internal error: tried to send a report of ${report.length} bytes; reports are 64 bytes`);
      }
      // hidapi wants the report ID first; FIDO keys use none, which is ID 0 (65 bytes on the wire).
      const out = Buffer.alloc(REPORT_SIZE + 1);
      out.set(report, 1);
      try {
        await device.write(out);
      } catch (error) {
        gone = disconnected(path, 'write', error);
        throw gone;
      }
    },
    async read(timeoutMs: number): Promise<Uint8Array | undefined> {
      if (closed) throw closedError();
      if (gone) throw gone;
      const deadline = Date.now() + Math.max(0, timeoutMs);
      let data: Buffer | undefined;
      // Short native reads in a loop: a write queued meanwhile runs between them.
      do {
        const slice = Math.max(0, Math.min(Math.ceil(deadline - Date.now()), MAX_NATIVE_READ_MS));
        try {
          data = await device.read(slice);
        } catch (error) {
          gone = closed ? closedError() : disconnected(path, 'read', error);
          throw gone;
        }
        if (closed) throw closedError();
      } while ((!data || data.length === 0) && Date.now() < deadline);
      // hidapi reports a timeout as an empty read.
      if (!data || data.length === 0) return undefined;
      const report = new Uint8Array(REPORT_SIZE);
      report.set(data.subarray(0, REPORT_SIZE));
      return report;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await device.close();
      } catch {
        // Closing a vanished device fails; there is nothing left to release.
      }
    },
  };
}
