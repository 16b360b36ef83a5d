import type { KeyChannel } from '../ctap/channel.js';
import type { Ctap2 } from '../ctap/ctap2.js';

/**
 * An open key as every operation takes it: the channel it is reached by and
 * the CTAP2 client over it (carrying the run's cancel signal and keepalive
 * handling). The caller opens, locks and closes it; operations only use it.
 */
export interface KeyHandle {
  readonly device: KeyChannel;
  readonly ctap: Ctap2;
  readonly label: string;
}
