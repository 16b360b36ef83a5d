import { openDevice } from '../hid/discovery.js';
import type { CtapHidDevice } from '../hid/ctaphid.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { Fido2Error } from '../errors.js';
import { type GlobalOptions, timeoutMs } from './global-options.js';
import { notice } from './output.js';

/** One open key for the life of one command. */
export interface Session {
  device: CtapHidDevice;
  ctap: Ctap2;
  label: string;
}

/**
 * Opens the selected key, runs `fn`, and always closes it. Ctrl-C aborts the
 * pending CTAPHID transaction (the HID layer sends CTAPHID_CANCEL) so the key
 * stops waiting for a touch; a second Ctrl-C quits at once.
 */
export interface SessionOptions {
  /** Opens the key another way than by g.device (the guided reset opens the key that came back). */
  open?: (log: ((line: string) => void) | undefined) => Promise<CtapHidDevice>;
}

export async function withSession<T>(g: GlobalOptions, fn: (s: Session) => Promise<T>, so: SessionOptions = {}): Promise<T> {
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let touchAsked = false;
  const onKeepalive = (status: 'processing' | 'upneeded'): void => {
    if (status === 'upneeded' && !touchAsked) {
      touchAsked = true;
      notice('Touch your security key...');
    }
  };
  const log = g.verbose ? (line: string) => process.stderr.write(`[ctaphid] ${line}\n`) : undefined;
  let device: CtapHidDevice | undefined;
  try {
    device = so.open
      ? await so.open(log)
      : g.device?.trim().toLowerCase() === 'touch'
        ? (await (await import('./device/select.js')).chooseByTouch([], g, { signal: abort.signal, ...(log ? { log } : {}) })).device
        : await openDevice(g.device, { timeoutMs: timeoutMs(g), log });
    if (abort.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');
    const ctap = new Ctap2(device, { onKeepalive, signal: abort.signal });
    return await fn({ device, ctap, label: device.label });
  } finally {
    process.removeListener('SIGINT', onSigint);
    await device?.close().catch(() => undefined);
  }
}
