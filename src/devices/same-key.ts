/**
 * A key that shows both a FIDO HID interface and a CCID (smart-card)
 * interface on one USB device is one key seen twice: as a HID key and as a
 * PC/SC reader whose card is the same FIDO applet. pcsc-lite names a USB
 * reader "<driver's friendly name> [<interface>] (<USB serial>) NN NN"
 * (hotplug_libudev's HPAddDevice, then the slot numbers), so on Linux the
 * serial in the reader's name ties the two together; other platforms' reader
 * names carry no serial and the two entries stay apart (CTAP 2.3 keyId still
 * joins them once open: src/fleet/identity-lock.ts).
 */

/** The USB serial in a pcsc-lite reader name, if it has one; pure. */
export function readerUsbSerial(reader: string): string | undefined {
  return /\(([^()]+)\)(?:\s+\d{2}\s+\d{2})?$/.exec(reader.trim())?.[1];
}

export interface HidFacts {
  path: string;
  serialNumber?: string | undefined;
  product?: string | undefined;
}

/**
 * The HID key a PC/SC reader is the CCID interface of: same USB serial, and the reader's name holds
 * the HID product string when there is one (a contactless reader's name carries the reader's own
 * serial, never the product of a key laid on it); pure.
 */
export function hidTwinOf(reader: string, hid: readonly HidFacts[]): HidFacts | undefined {
  const serial = readerUsbSerial(reader);
  if (!serial) return undefined;
  const name = reader.toLowerCase();
  return hid.find((d) => d.serialNumber === serial && (!d.product || name.includes(d.product.toLowerCase())));
}
