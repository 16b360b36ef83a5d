/**
 * The seam between the CTAP2 client and the transports (CTAP 2.1 §11): what
 * every way of reaching a key provides, whatever frames the messages. CTAPHID
 * (USB HID, the TCP relay, the in-process virtual key) implements it today; an
 * ISO 7816 / PC/SC binding is a sibling, not a special case.
 */
import type { CborChannel } from './ctap2.js';

/** What the key can do at the transport level (CTAPHID_INIT's capability flags; a card is CBOR-capable). */
export interface ChannelCapabilities {
  readonly wink: boolean;
  readonly cbor: boolean;
  /** The key also speaks CTAP1/U2F messages (false: CBOR only). */
  readonly nmsg: boolean;
}

/**
 * One open connection to one key. `cbor` sends a command byte and its CBOR
 * and resolves to status byte || response; aborting the request's signal
 * cancels it on the key; keepalive events say whether the key waits for a touch.
 */
export interface KeyChannel extends CborChannel {
  /** How the key was reached, e.g. `/dev/hidraw3`, `tcp:127.0.0.1:35962`, `sim`. */
  readonly label: string;
  readonly capabilities: ChannelCapabilities;
  /** Makes the key blink (or otherwise show itself); keys without it resolve without doing anything. */
  wink(): Promise<void>;
  close(): Promise<void>;
}
