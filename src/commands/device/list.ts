import { type AnyDeviceInfo, type DeviceInfo, listAllDevices, NO_DEVICE_MESSAGE } from '../../devices/discovery.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** One line per key: what `--device N` refers to. */
export function formatDevice(d: DeviceInfo): string {
  return `${d.index}: ${d.manufacturer ?? '?'} ${d.product ?? '?'} (${hex4(d.vendorId)}:${hex4(d.productId)}) serial ${d.serialNumber || '-'} at ${d.path}`;
}

/** A list line naming the transport: usb for HID keys, pcsc for a reader's card (its --device form is the path shown). */
export function formatListed(d: AnyDeviceInfo | DeviceInfo): string {
  if ('transport' in d && d.transport === 'pcsc') {
    return `${d.index}: FIDO key (${d.applet}) on PC/SC reader "${d.reader}" at ${d.path} via pcsc${d.sameKeyAs ? ` (the same key as ${d.sameKeyAs}, its smart-card interface)` : ''}`;
  }
  return `${formatDevice(d)} via usb`;
}

/** HID keys, then PC/SC readers holding a FIDO key (none when PC/SC is not installed: the list is then the HID keys alone). */
export async function runList(g: GlobalOptions, lister: () => Promise<(AnyDeviceInfo | DeviceInfo)[]> = listAllDevices): Promise<void> {
  const devices = await lister();
  // No key is selected for a list: device is null, the keys are under devices.
  if (g.json) return printJson({ ok: true, device: null, devices });
  if (devices.length === 0) {
    printLine(NO_DEVICE_MESSAGE);
    return;
  }
  for (const d of devices) printLine(formatListed(d));
}
