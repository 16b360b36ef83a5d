/**
 * The simulated user: whether and when they touch the key, and whether
 * their finger matches the built-in sensor.
 */
import type { TransactionControl } from './ctaphid-device.js';
import { Status, fail } from './status.js';

/** 'confirm' touches at once, 'deny' refuses, { delayMs } touches after a while. */
export type PresenceMode = 'confirm' | 'deny' | { readonly delayMs: number };

/** How long a key waits for a touch before giving up (CTAP 2.1 §6.1.2: about 30 s). */
export const USER_ACTION_TIMEOUT_MS = 30_000;

/**
 * Waits for the user as `mode` says, sending UPNEEDED keepalives meanwhile.
 * CTAPHID_CANCEL ends the wait with CTAP2_ERR_KEEPALIVE_CANCEL.
 */
export async function awaitUserPresence(mode: PresenceMode, tx: TransactionControl, timeoutMs = USER_ACTION_TIMEOUT_MS): Promise<void> {
  if (tx.signal.aborted) fail(Status.KEEPALIVE_CANCEL);
  if (mode === 'confirm') return;
  if (mode === 'deny') fail(Status.OPERATION_DENIED);
  const wait = Math.min(mode.delayMs, timeoutMs);
  tx.setWaitingForUser(true);
  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new Error('cancelled'));
      };
      const timer = setTimeout(() => {
        tx.signal.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      tx.signal.addEventListener('abort', onAbort, { once: true });
    });
  } catch {
    fail(Status.KEEPALIVE_CANCEL);
  } finally {
    tx.setWaitingForUser(false);
  }
  if (mode.delayMs > timeoutMs) fail(Status.USER_ACTION_TIMEOUT);
}
