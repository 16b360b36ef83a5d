import type { KeyChannel } from '../ctap/channel.js';
import type { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';

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

/** getInfo, or undefined for a key that speaks no CTAP2 (U2F only: CTAP1_ERR_INVALID_COMMAND, or no CBOR capability). */
export async function infoOrU2f(key: Pick<KeyHandle, 'device' | 'ctap'>): Promise<AuthenticatorInfo | undefined> {
  if (!key.device.capabilities.cbor) return undefined;
  try {
    return await key.ctap.getInfo();
  } catch (e) {
    if (e instanceof CtapError && e.status === 0x01) return undefined;
    throw e;
  }
}
