import { type DeviceInfo, listDevices, NO_DEVICE_MESSAGE } from '../../devices/discovery.js';
import type { GlobalOptions } from '../global-options.js';
import { printJson, printLine } from '../output.js';

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** One line per key: what `--device N` refers to. */
export function formatDevice(d: DeviceInfo): string {
  return `${d.index}: ${d.manufacturer ?? '?'} ${d.product ?? '?'} (${hex4(d.vendorId)}:${hex4(d.productId)}) serial ${d.serialNumber || '-'} at ${d.path}`;
}

export async function runList(g: GlobalOptions, lister: () => Promise<DeviceInfo[]> = listDevices): Promise<void> {
  const devices = await lister();
  // No key is selected for a list: device is null, the keys are under devices.
  if (g.json) return printJson({ ok: true, device: null, devices });
  if (devices.length === 0) {
    printLine(NO_DEVICE_MESSAGE);
    return;
  }
  for (const d of devices) printLine(formatDevice(d));
}
