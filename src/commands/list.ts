import { listDevices } from '../hid/discovery.js';
import type { GlobalOptions } from './global-options.js';
import { printJson, printLine } from './output.js';
import { NO_DEVICE_HELP } from './help-text.js';

export async function runList(g: GlobalOptions): Promise<void> {
  const devices = await listDevices();
  if (g.json) return printJson(devices);
  if (devices.length === 0) {
    printLine('No FIDO security key found.');
    printLine(NO_DEVICE_HELP);
    return;
  }
  for (const d of devices) {
    const vidPid = `${hex4(d.vendorId)}:${hex4(d.productId)}`;
    printLine(`${d.index}: ${d.manufacturer ?? '?'} ${d.product ?? '?'} (${vidPid}) serial ${d.serialNumber || '-'} at ${d.path}`);
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
