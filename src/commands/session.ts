import { openDevice } from '../hid/discovery.js';
import type { CtapHidDevice } from '../hid/ctaphid.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { Fido2Error } from '../errors.js';
import { type GlobalOptions, timeoutMs } from './global-options.js';
import { notice } from './output.js';
import { withDeviceLock } from './device-lock.js';

/** One open key for the life of one command. */
export interface Session {
  device: CtapHidDevice;
  ctap: Ctap2;
  label: string;
}

/**
 * Opens the selected key, runs `fn`, and always closes it. Ctrl-C aborts the
 * pending CTAPHID transaction (the HID layer sends CTAPHID_CANCEL) so the key
 * stops waiting for a touch; a second Ctrl-C quits at once. The whole run
 * holds the key's cross-process lock (device-lock.ts).
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
  try {
    const run = async (open: () => Promise<CtapHidDevice>): Promise<T> => {
      let device: CtapHidDevice | undefined;
      try {
        device = await open();
        if (abort.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');
        const ctap = new Ctap2(device, { onKeepalive, signal: abort.signal });
        return await fn({ device, ctap, label: device.label });
      } finally {
        await device?.close().catch(() => undefined);
      }
    };
    // The key that came back from a replug, or the one touched, is only known once opened: no lock to take first.
    if (so.open) return await run(() => so.open!(log));
    if (g.device?.trim().toLowerCase() === 'touch') {
      const { chooseByTouch } = await import('./device/select.js');
      return await run(async () => (await chooseByTouch([], g, { signal: abort.signal, ...(log ? { log } : {}) })).device);
    }
    // Closed before the lock is released, so the next run never meets this connection.
    return await withDeviceLock(g.device, { timeoutMs: timeoutMs(g), signal: abort.signal }, (selector) =>
      run(() => openDevice(selector, { timeoutMs: timeoutMs(g), log })),
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
