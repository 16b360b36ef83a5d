import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';

/** A FIDO HID interface as node-hid lists it. */
export function record(path: string, serialNumber: string | undefined, vendorId = 0x1050): HidDeviceRecord {
  return { path, serialNumber, vendorId, productId: 0x0407, product: 'Key', manufacturer: 'Test', release: 0, interface: 0, usagePage: 0xf1d0, usage: 1 } as HidDeviceRecord;
}
