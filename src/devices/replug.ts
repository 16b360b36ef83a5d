/**
 * Watching a USB key being unplugged and plugged back in, for the guided
 * reset: most keys accept authenticatorReset only within seconds of power-up
 * (CTAP 2.1 §6.6), and replugging is how a person powers a key up.
 */
import { Fido2Error } from '../errors.js';
import type { DeviceInfo } from './discovery.js';

/** How a key is recognised when it returns: its HID path changes, its VID:PID and serial do not. */
export function sameKey(a: DeviceInfo, b: DeviceInfo): boolean {
  return a.vendorId === b.vendorId && a.productId === b.productId && a.serialNumber === b.serialNumber;
}

export type ReplugState =
  | { phase: 'waiting-removal' }
  | { phase: 'waiting-return'; remaining: ReadonlySet<string> }
  | { phase: 'back'; device: DeviceInfo }
  | { phase: 'wrong-key'; device: DeviceInfo };

/**
 * One step of the watch, pure: given the key we wait for, where we are, and
 * the devices attached now, where we are next. Removal is the key's path
 * disappearing; its return is a device that was not there after removal.
 * A key without a serial is only recognised as the single new FIDO device.
 */
export function replugStep(target: DeviceInfo, state: ReplugState, now: readonly DeviceInfo[]): ReplugState {
  if (state.phase === 'back' || state.phase === 'wrong-key') return state;
  if (state.phase === 'waiting-removal') {
    if (now.some((d) => d.path === target.path)) return state;
    return { phase: 'waiting-return', remaining: new Set(now.map((d) => d.path)) };
  }
  const fresh = now.filter((d) => !state.remaining.has(d.path));
  if (fresh.length === 0) {
    // Another key unplugged meanwhile: forget it, so it counts as new if it comes back.
    return { phase: 'waiting-return', remaining: new Set(now.map((d) => d.path)) };
  }
  if (target.serialNumber) {
    const match = fresh.find((d) => sameKey(d, target));
    if (match) return { phase: 'back', device: match };
    return { phase: 'wrong-key', device: fresh[0]! };
  }
  if (fresh.length === 1 && fresh[0]!.vendorId === target.vendorId && fresh[0]!.productId === target.productId) {
    return { phase: 'back', device: fresh[0]! };
  }
  return { phase: 'wrong-key', device: fresh[0]! };
}

export interface ReplugOptions {
  list: () => Promise<DeviceInfo[]>;
  /** How long the person has to unplug the key, and then again to plug it back in. */
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  onRemoved?: () => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function describe(d: DeviceInfo): string {
  const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
  return `${hex4(d.vendorId)}:${hex4(d.productId)}${d.serialNumber ? ` serial ${d.serialNumber}` : ''}`;
}

/** Polls the device list until `target` has gone and come back; resolves with it as it is now (new path). */
export async function waitForReplug(target: DeviceInfo, o: ReplugOptions): Promise<DeviceInfo> {
  const sleep = o.sleep ?? defaultSleep;
  const poll = o.pollMs ?? 100;
  const now = o.now ?? Date.now;
  let state: ReplugState = { phase: 'waiting-removal' };
  let phaseStarted = now();
  for (;;) {
    if (o.signal?.aborted) throw new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');
    const before: ReplugState['phase'] = state.phase;
    state = replugStep(target, state, await o.list());
    if (state.phase === 'back') return state.device;
    if (state.phase === 'wrong-key') {
      throw new Fido2Error('wrong-key', `A different key came back (${describe(state.device)}, expected ${describe(target)}); nothing was reset. Plug in only the key to reset and run again.`);
    }
    if (state.phase !== before) {
      phaseStarted = now();
      o.onRemoved?.();
    }
    if (now() - phaseStarted >= o.timeoutMs) {
      const seconds = Math.round(o.timeoutMs / 1000);
      throw state.phase === 'waiting-removal'
        ? new Fido2Error('replug-timeout', `The key was not unplugged within ${seconds} s; nothing was reset. Run again and unplug it when asked, or pass --no-replug.`, { reason: 'not-unplugged' })
        : new Fido2Error('replug-timeout', `The key did not come back within ${seconds} s of being unplugged; nothing was reset. Plug it in and run again.`, { reason: 'not-back' });
    }
    await sleep(poll);
  }
}

/** How long a key that came back may take before its node opens (udev permissions, driver binding). */
export const SETTLE_MS = 3000;

/**
 * Opens a key that has just come back. Its node is listed as soon as the kernel creates it, but opening it
 * can fail for a moment after (udev has not applied its permissions yet, the driver is still binding, a
 * HIDIOCGRDESCSIZE fails), so transport and no-device failures are retried until `settleMs` has passed.
 * Nothing is sent to the key by a failed open, so retrying spends nothing.
 */
export async function openWhenSettled<T>(
  open: () => Promise<T>,
  o: { settleMs?: number; pollMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Promise<T> {
  const sleep = o.sleep ?? defaultSleep;
  const now = o.now ?? Date.now;
  const started = now();
  for (;;) {
    try {
      return await open();
    } catch (e) {
      const transient = e instanceof Fido2Error && (e.kind === 'transport' || e.kind === 'no-device');
      if (!transient || now() - started >= (o.settleMs ?? SETTLE_MS)) throw e;
    }
    await sleep(o.pollMs ?? 100);
  }
}
