import { openDevice } from '../hid/discovery.js';
import type { CtapHidDevice } from '../hid/ctaphid.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { Fido2Error } from '../errors.js';
import { type GlobalOptions, timeoutMs } from './global-options.js';
import { notice } from './output.js';
import { currentKeyContext } from './key-context.js';
import { keyStateFromInfo } from '../fleet/plan.js';

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
export async function withSession<T>(g: GlobalOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const many = currentKeyContext();
  if (many) return withKeySession(g, many, fn);
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
    device = await openDevice(g.device, { timeoutMs: timeoutMs(g), log });
    if (abort.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');
    const ctap = new Ctap2(device, { onKeepalive, signal: abort.signal });
    return await fn({ device, ctap, label: device.label });
  } finally {
    process.removeListener('SIGINT', onSigint);
    await device?.close().catch(() => undefined);
  }
}

/** One key of a many-key run: Ctrl-C is handled once for all keys, touch requests go to its progress line. */
async function withKeySession<T>(g: GlobalOptions, k: NonNullable<ReturnType<typeof currentKeyContext>>, fn: (s: Session) => Promise<T>): Promise<T> {
  const log = g.verbose ? (line: string) => process.stderr.write(`[ctaphid ${g.device}] ${line}\n`) : undefined;
  const device = await openDevice(g.device, { timeoutMs: timeoutMs(g), log });
  try {
    if (k.signal.aborted) throw new Fido2Error('cancelled', 'Cancelled before this key was started; nothing was changed on it.');
    const ctap = new Ctap2(device, { signal: k.signal, onKeepalive: (st) => st === 'upneeded' && k.onTouch() });
    const getInfo = ctap.getInfo.bind(ctap);
    ctap.getInfo = async () => {
      const info = await getInfo();
      k.aaguid ??= info.aaguid;
      k.before ??= keyStateFromInfo(info);
      return info;
    };
    try {
      return await fn({ device, ctap, label: device.label });
    } finally {
      // The state after, for the per-key results; a key that is gone or speaks only U2F has none.
      if (k.before !== undefined) k.after = await getInfo().then(keyStateFromInfo, () => undefined);
    }
  } finally {
    await device.close().catch(() => undefined);
  }
}
