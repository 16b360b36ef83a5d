/**
 * The guided reset (authenticatorReset, CTAP 2.1 §6.6). Most keys accept a
 * reset only within seconds of power-up and only with a touch, so the person
 * is walked through unplugging the key and plugging it back in, and the reset
 * goes out the moment the same key is back. Nothing is sent to the key before
 * the caller's `confirm` said yes.
 */
import { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import { Status } from '../ctap/status.js';
import { type DeviceInfo, type DiscoveryDeps, describeDevice, listDevices, openChannel, openDevice, parseDeviceSelector, selectHidDevice } from '../devices/discovery.js';
import { openWhenSettled, waitForReplug } from '../devices/replug.js';
import { Fido2Error } from '../errors.js';
import { CTAPHID_TRANSPORT, resetTouchText, resetTransportCheck } from '../ctap/reset-rules.js';
import type { KeyChannel } from '../ctap/channel.js';
import { canConnect } from '../transports/tcp/tcp-probe.js';
import { explain } from './explain.js';
import { type ResetIdentity, resetIdentity } from './reset-identity.js';
import type { KeyHandle } from './key-handle.js';
import { selectByTouch, type SelectByTouchOptions, TOUCH_TIMEOUT_MS } from './selection.js';
import { type KeyState, keyStateFromInfo } from './settings-plan.js';

export const RESET_ERASES =
  'every passkey and other credential, the PIN, enrolled fingerprints, large blobs, the always-UV setting and the minimum PIN length';

/** At least this long to unplug the key, and again to plug it back in. */
export const REPLUG_TIMEOUT_MS = 60_000;

/** The key a reset is for, as resolved from its selector before anything is asked or sent. */
export type ResetTarget =
  | { kind: 'sim' }
  | { kind: 'tcp'; selector: string; host: string; port: number }
  | { kind: 'hid'; device: DeviceInfo }
  /** A key on a PC/SC reader (NFC, or a CCID card): taken off the reader and put back stands in for the replug. */
  | { kind: 'pcsc'; reader: string };

/** What `confirm` is shown: which key, what a reset erases, and whether a replug comes next. */
export interface ResetSummary {
  readonly target: ResetTarget;
  readonly device: string;
  readonly erases: string;
  readonly replug: boolean;
}

/** How the replug goes: asked to unplug (a USB key, or a software key to restart), gone, back. */
export type ReplugEvent =
  | { phase: 'waiting-unplug'; kind: 'usb'; device: DeviceInfo }
  | { phase: 'waiting-unplug'; kind: 'software'; selector: string }
  | { phase: 'waiting-unplug'; kind: 'card'; reader: string }
  | { phase: 'unplugged' }
  | { phase: 'back' };

/** Opens the key that came back (or the chosen one); `log` traces CTAPHID. */
export type OpenKey = (log?: (line: string) => void) => Promise<KeyChannel>;

/** Holds the opened key while `fn` runs and closes it after (the CLI's session; by default a plain open). */
export type RunOnKey = <T>(open: OpenKey | undefined, fn: (key: KeyHandle) => Promise<T>) => Promise<T>;

export interface ResetKeyOptions extends DiscoveryDeps {
  /** Asked once the key is known and before anything is sent: false cancels ('cancelled', nothing changed). */
  confirm: (summary: ResetSummary) => boolean | Promise<boolean>;
  /** Reset at once, without the replug (only works while the key is within its window after power-up). */
  noReplug?: boolean;
  onReplug?: (e: ReplugEvent) => void;
  /** The key waits for a touch (the reset, or `--device touch`'s choice). */
  onTouch?: () => void;
  /** The key needs a long touch for the reset (CTAP 2.2 longTouchForReset): what to tell the person. */
  onLongTouch?: (what: string) => void;
  /** For the selector 'touch': every attached key is waiting for a touch. */
  onWaiting?: SelectByTouchOptions['onWaiting'];
  /** Ends the replug wait or the reset ('cancelled'). */
  signal?: AbortSignal;
  /** How long one key request may take (default 30 s). */
  timeoutMs?: number;
  /** How long to wait for the key to be unplugged, and again to come back (default 60 s, or timeoutMs if longer). */
  replugTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Stands in for the TCP "is it listening" probe. */
  tcpUp?: (host: string, port: number) => Promise<boolean>;
  /** How an attached key is named (default `describeDevice`). */
  describe?: (d: DeviceInfo) => string;
  log?: (line: string) => void;
  run?: RunOnKey;
}

export interface ResetResult {
  /** How the key was reached for the reset. */
  device: string;
  replugged: boolean;
  /** Read from the key just before the reset, and after it. */
  before: KeyState;
  after: KeyState;
}

/** Which key `selector` names; several attached and none named is refused ('usage'), listing them. */
export async function resolveResetTarget(selector: string | undefined, o: Omit<ResetKeyOptions, 'confirm'> = {}): Promise<ResetTarget> {
  const parsed = parseDeviceSelector(selector);
  if (parsed.kind === 'sim') return { kind: 'sim' };
  if (parsed.kind === 'tcp') return { kind: 'tcp', selector: selector!.trim(), host: parsed.host, port: parsed.port };
  if (parsed.kind === 'touch') {
    const { key, device } = await selectByTouch('all', {
      ...o,
      ...(o.signal ? { signal: o.signal } : {}),
      timeoutMs: o.timeoutMs ?? TOUCH_TIMEOUT_MS,
    });
    await device.close().catch(() => undefined);
    // Candidates for 'touch' are the attached keys, so the choice has its list entry (a card: its reader).
    if (key.path.startsWith('pcsc:')) return { kind: 'pcsc', reader: key.path.slice('pcsc:'.length) };
    return { kind: 'hid', device: { ...key, vendorId: key.vendorId ?? 0, productId: key.productId ?? 0 } };
  }
  if (parsed.kind === 'pcsc') {
    const { resolveReader } = await import('../transports/pcsc/readers.js');
    return { kind: 'pcsc', reader: await resolveReader(parsed.reader) };
  }
  return { kind: 'hid', device: await selectHidDevice(parsed, o) };
}

function targetName(t: ResetTarget, describe: (d: DeviceInfo) => string): string {
  return t.kind === 'hid' ? describe(t.device) : t.kind === 'tcp' ? t.selector : t.kind === 'pcsc' ? `pcsc:${t.reader}` : 'sim';
}

/**
 * Waits for the person to unplug the key and plug the same one back in (for a software key at tcp:, to restart
 * it); resolves with how to open it. Errors: 'wrong-key', 'replug-timeout' (reason not-unplugged / not-back),
 * 'cancelled'. Nothing is sent to any key.
 */
export async function replugKey(target: ResetTarget, o: Omit<ResetKeyOptions, 'confirm'> = {}): Promise<OpenKey | undefined> {
  const timeoutMs = o.timeoutMs ?? TOUCH_TIMEOUT_MS;
  const base = { ...o, timeoutMs };
  const watch = {
    timeoutMs: o.replugTimeoutMs ?? Math.max(REPLUG_TIMEOUT_MS, timeoutMs),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
    ...(o.now ? { now: o.now } : {}),
    onRemoved: () => o.onReplug?.({ phase: 'unplugged' }),
  };
  const opener = (path: string): OpenKey => (log) => openDevice(path, { ...base, ...(log ? { log } : {}) });
  if (target.kind === 'hid') {
    o.onReplug?.({ phase: 'waiting-unplug', kind: 'usb', device: target.device });
    const back = await waitForReplug(target.device, { ...watch, list: () => listDevices(o) });
    o.onReplug?.({ phase: 'back' });
    return (log) => openWhenSettled(() => opener(back.path)(log), watch);
  }
  if (target.kind === 'tcp') {
    const up = o.tcpUp ?? canConnect;
    const pseudo: DeviceInfo = { index: 1, path: target.selector, vendorId: 0, productId: 0 };
    o.onReplug?.({ phase: 'waiting-unplug', kind: 'software', selector: target.selector });
    await waitForReplug(pseudo, { ...watch, list: async () => ((await up(target.host, target.port)) ? [pseudo] : []) });
    o.onReplug?.({ phase: 'back' });
    return opener(target.selector);
  }
  if (target.kind === 'pcsc') {
    // The reader's card state, polled: the card leaves the field, then a FIDO card is back in the same reader (a
    // fresh power-up, so the key's reset window starts).
    const { listPcscKeys, pcscLabel } = await import('../transports/pcsc/readers.js');
    const selector = pcscLabel(target.reader);
    const pseudo: DeviceInfo = { index: 1, path: selector, vendorId: 0, productId: 0 };
    o.onReplug?.({ phase: 'waiting-unplug', kind: 'card', reader: target.reader });
    await waitForReplug(pseudo, { ...watch, list: async () => ((await listPcscKeys()).some((k) => k.reader === target.reader) ? [pseudo] : []) });
    o.onReplug?.({ phase: 'back' });
    return (log) => openChannel(selector, { ...base, ...(log ? { log } : {}) });
  }
  // The in-process virtual key has just been powered up, so it needs no replug.
  return undefined;
}

function resetError(e: unknown, replugged: boolean): unknown {
  if (e instanceof CtapError && e.status === Status.CTAP2_ERR_NOT_ALLOWED) {
    return new Fido2Error(
      'reset-too-late',
      replugged
        ? 'The key refused the reset: it accepts one only in the first seconds after being plugged in. Run again and touch sooner after plugging in.'
        : 'The key refused the reset: it accepts one only in the first seconds after being plugged in. Run again without --no-replug and touch it soon after plugging it back in.',
      { cause: e },
    );
  }
  return explain(e);
}

/**
 * authenticatorReset on an open key, at once: one getInfo (milliseconds) for `before`, so the reset stays well
 * within the key's window. Errors: 'reset-too-late' (15), 'presence-denied' (16), 'presence' (10, not touched).
 */
export async function resetOpenKey(key: KeyHandle, o: { replugged: boolean; onLongTouch?: (what: string) => void; identity?: ResetIdentity }): Promise<ResetResult> {
  const before = await key.ctap.getInfo();
  // The key that came back must be the one confirmed, by its CTAP 2.3 identity where a kept token knows it.
  await o.identity?.check(before);
  // CTAP 2.2 transportsForReset: a reset the key refuses over this transport is not sent.
  // A PC/SC key is taken as NFC, the way this tool reaches cards; everything else frames CTAPHID (usb).
  const check = resetTransportCheck(before, key.label.startsWith('pcsc:') ? 'nfc' : CTAPHID_TRANSPORT);
  if (!check.ok) throw new Fido2Error('unsupported', check.message, { reason: 'reset-transport' });
  // longTouchForReset: a press of seconds, which the person must be told about before the key waits for it.
  if (before.longTouchForReset === true) o.onLongTouch?.(resetTouchText(before));
  try {
    await key.ctap.reset();
  } catch (e) {
    throw resetError(e, o.replugged);
  }
  await o.identity?.afterReset(before, key.label);
  return { device: key.label, replugged: o.replugged, before: keyStateFromInfo(before), after: keyStateFromInfo(await key.ctap.getInfo()) };
}

/** Opens the key (the one that came back, or by its selector), with the signal and the touch callback, and closes it after. */
function plainRun(selector: string | undefined, o: Omit<ResetKeyOptions, 'confirm'>): RunOnKey {
  return async (open, fn) => {
    const timeoutMs = o.timeoutMs ?? TOUCH_TIMEOUT_MS;
    const device = await (open ?? ((log) => openDevice(selector, { ...o, timeoutMs, ...(log ? { log } : {}) })))(o.log);
    try {
      if (o.signal?.aborted) throw new Fido2Error('cancelled', 'Cancelled; nothing was changed on the key.');
      let told = false;
      const ctap = new Ctap2(device, {
        ...(o.signal ? { signal: o.signal } : {}),
        onKeepalive: (st) => {
          if (st !== 'upneeded' || told) return;
          told = true;
          o.onTouch?.();
        },
      });
      return await fn({ device, ctap, label: device.label });
    } finally {
      await device.close().catch(() => undefined);
    }
  };
}

/**
 * The whole guided reset: resolve the key, `confirm`, the replug (unless `noReplug`, or for `sim`), then the
 * reset on the key that came back, read back. Errors carry the CLI's kinds: 'cancelled' (130), 'wrong-key' (17),
 * 'replug-timeout' (18), 'reset-too-late' (15), 'presence-denied' (16), 'presence' (10).
 */
export async function guidedReset(selector: string | undefined, o: ResetKeyOptions): Promise<ResetResult> {
  const target = await resolveResetTarget(selector, o);
  const doReplug = o.noReplug !== true && target.kind !== 'sim';
  const summary: ResetSummary = { target, device: targetName(target, o.describe ?? describeDevice), erases: RESET_ERASES, replug: doReplug };
  if (!(await o.confirm(summary))) throw new Fido2Error('cancelled', 'Reset cancelled; nothing was changed.');
  const identity = resetIdentity();
  if (doReplug) {
    const selector = target.kind === 'hid' ? target.device.path : target.kind === 'tcp' ? target.selector : `pcsc:${target.reader}`;
    await identity.noteBefore(() => openChannel(selector, { ...o, timeoutMs: o.timeoutMs ?? TOUCH_TIMEOUT_MS }));
  }
  const back = doReplug ? await replugKey(target, o) : undefined;
  // Without a replug a USB key opens by the path resolved above, so it is the key that was confirmed.
  const open: OpenKey | undefined = back ?? (target.kind === 'hid' ? (log) => openDevice(target.device.path, { ...o, timeoutMs: o.timeoutMs ?? TOUCH_TIMEOUT_MS, ...(log ? { log } : {}) }) : undefined);
  const run = o.run ?? plainRun(selector, o);
  return run(open, (key) => resetOpenKey(key, { replugged: doReplug, identity, ...(o.onLongTouch ? { onLongTouch: o.onLongTouch } : {}) }));
}
