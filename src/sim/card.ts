/**
 * The virtual key as a contactless card: its FIDO applet (nfc-applet.ts) in
 * front of the same authenticator CTAPHID reaches, an ISO/IEC 14443-4 ATR,
 * and power that comes and goes with the reader's field.
 */
import { capabilityHistoricalBytes, contactlessAtr } from './apdu.js';
import { handleCtapRequest } from './authenticator.js';
import { NfcApplet } from './nfc-applet.js';
import { u2fMessage } from './u2f.js';
import type { VirtualCard } from './vpcd-link.js';
import type { VirtualKey } from './virtual-key.js';

export interface CardOptions {
  /**
   * Extended APDUs announced in the ATR and accepted (default); false: a
   * short-APDU-only card, which answers an extended APDU with 6700 as such cards do.
   */
  extendedLength?: boolean;
}

export function virtualCard(key: VirtualKey, pollMs?: number, opts: CardOptions = {}): VirtualCard {
  const extendedLength = opts.extendedLength ?? true;
  const applet = new NfcApplet(
    {
      cbor: key.profile.cbor,
      // Only the u2f-only profile speaks CTAP1 (the CTAP2 profiles answer CTAPHID_MSG with INVALID_CMD too).
      u2f: !key.profile.cbor,
      runCbor: (request, tx) => handleCtapRequest(key.context(tx), request),
      u2fMessage,
    },
    pollMs,
    extendedLength,
  );
  return {
    atr: contactlessAtr(capabilityHistoricalBytes(extendedLength)),
    powerUp: () => {
      applet.reset();
      // Entering the field is a power-up: volatile state starts over and the reset window opens (§6.6).
      key.powerCycle();
    },
    powerOff: () => applet.reset(),
    process: (apdu) => applet.process(apdu),
  };
}
