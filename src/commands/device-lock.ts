import { parseDeviceSelector } from '../devices/discovery.js';
import { notice } from './output.js';

/**
 * Runs `open` and what follows under the key's cross-process lock, so a
 * command's read-then-change never interleaves with another fido2-manage on
 * the same key; the waiting run reads the key's state only once it holds the
 * lock. `open` receives the selector to open: for a HID key it is the path
 * the lock was taken for, so both name the same key.
 */
export async function withDeviceLock<T>(
  selector: string | undefined,
  opts: { timeoutMs: number; signal: AbortSignal },
  run: (selector: string | undefined) => Promise<T>,
): Promise<T> {
  const kind = parseDeviceSelector(selector).kind;
  // `--device sim` is a fresh in-process key for this run alone; the touched key is only known once chosen
  // (withSession handles it before any lock). Neither loads the lock code.
  if (kind === 'sim' || kind === 'touch') return run(selector);
  const { selectorLock } = await import('../fleet/selector-lock.js');
  const { withKeyLock } = await import('../fleet/key-lock.js');
  const { target, label, lockId } = await selectorLock(selector);
  if (lockId === undefined) return run(target);
  const onWait = (): void =>
    notice(`Another fido2-manage is using the key at ${label}; waiting up to ${opts.timeoutMs / 1000} s for it to finish...`);
  return withKeyLock(lockId, { timeoutMs: opts.timeoutMs, signal: opts.signal, onWait }, () => run(target));
}
