/**
 * "Touch the key you mean" (`select`, `--device touch`, the library's
 * selectByTouch): every candidate key is asked for a touch at once
 * (authenticatorSelection, or the CTAP 2.0 touch probe); the first one touched
 * wins, and the others get CTAPHID_CANCEL so they stop blinking. Nothing is
 * changed on any key. A card on a PC/SC reader is a candidate too: over NFC
 * being in the field is the presence (CTAP 2.1 §11.3), so a card placed on a
 * reader answers at once and is the key chosen, also when it is placed there
 * during the wait (the readers are watched for it).
 */
import { Ctap2 } from '../ctap/ctap2.js';
import { requestTouch, touchMethod } from '../ctap/touch.js';
import type { KeyChannel } from '../ctap/channel.js';
import { type AnyDeviceInfo, type DeviceInfo, type DiscoveryDeps, describeDevice, listAllDevices, NO_DEVICE_MESSAGE, oncePerKey, openChannel, parseDeviceSelector, selectHidDevice } from '../devices/discovery.js';
import { Fido2Error } from '../errors.js';

/** What is known of a candidate before it is opened: its `list` entry, or just the selector. */
export interface ChosenKey {
  index: number;
  /** The HID path, or the selector (`tcp:HOST:PORT`, `sim`, `pcsc:READER`): either opens the key again. */
  path: string;
  product?: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: number;
  productId?: number;
}

export interface TouchCandidate {
  /** How the key is named in messages: an index line from `list`, or the selector. */
  readonly label: string;
  open(): Promise<KeyChannel>;
}

/** Keys that turn up during the wait (a card placed on a reader), already being watched for. */
export interface LateCandidates {
  /** From now on each key that turns up goes to `add`; any that came before are given at once. */
  onCandidate(add: (c: TouchCandidate) => void): void;
  stop(): void;
}

export interface TouchOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Called once every reachable key is waiting, with how many are and why the others were not asked;
   * `watching`: keys that turn up during the wait count too (0 waiting then means "put one on a reader").
   */
  onWaiting?: (count: number, skipped: readonly string[], watching: boolean) => void;
  late?: LateCandidates;
}

export interface TouchResult {
  /** Position of the winner in the candidate list; a key that turned up during the wait counts on after them, in order of arrival. */
  index: number;
  device: KeyChannel;
}

export interface SelectByTouchOptions extends DiscoveryDeps, Partial<TouchOptions> {
  log?: (line: string) => void;
  /** How an attached key is named in messages (default: `describeDevice`). */
  describe?: (d: DeviceInfo) => string;
}

export interface TouchSelection {
  key: ChosenKey;
  /** The touched key, still open: the caller closes it. */
  device: KeyChannel;
}

/** The default wait for a touch, as the CLI's --timeout. */
export const TOUCH_TIMEOUT_MS = 30_000;

interface Candidate extends TouchCandidate {
  readonly key: ChosenKey;
}

/** The keys to ask: those named (HID, tcp:, sim or pcsc:), or every attached key for 'all' or none named. */
async function candidatesFor(selectors: readonly string[] | 'all', o: SelectByTouchOptions, watchingReaders = false): Promise<Candidate[]> {
  const open = (selector: string) => () => openChannel(selector, { ...o, timeoutMs: o.timeoutMs ?? TOUCH_TIMEOUT_MS });
  const attached = (d: DeviceInfo | AnyDeviceInfo): Candidate =>
    'transport' in d && d.transport === 'pcsc'
      ? { label: `the key on PC/SC reader "${d.reader}"`, key: { index: d.index, path: d.path, product: d.reader }, open: open(d.path) }
      : { label: (o.describe ?? describeDevice)(d as DeviceInfo), key: { ...(d as DeviceInfo) }, open: open(d.path) };
  if (selectors === 'all' || selectors.length === 0) {
    // A key's own CCID interface is asked through its HID one: one key, one touch request.
    const all = oncePerKey(await listAllDevices(o));
    // With readers watched, none attached yet is a wait for a card to be placed.
    if (all.length === 0 && !watchingReaders) throw new Fido2Error('no-device', NO_DEVICE_MESSAGE);
    return all.map(attached);
  }
  const out: Candidate[] = [];
  for (const [i, s] of selectors.entries()) {
    const parsed = parseDeviceSelector(s);
    if (parsed.kind === 'touch' || parsed.kind === 'auto') throw new Fido2Error('usage', `"${s}" cannot be a candidate for selection by touch; name keys by index, path, serial:, tcp:, sim or pcsc:.`);
    if (parsed.kind === 'pcsc') {
      const { resolveReader, pcscLabel } = await import('../transports/pcsc/readers.js');
      const reader = await resolveReader(parsed.reader);
      out.push({ label: `the key on PC/SC reader "${reader}"`, key: { index: i + 1, path: pcscLabel(reader), product: reader }, open: open(pcscLabel(reader)) });
    } else if (parsed.kind === 'sim' || parsed.kind === 'tcp') out.push({ label: s, key: { index: i + 1, path: s }, open: open(s) });
    else out.push(attached(await selectHidDevice(parsed, o)));
  }
  return out;
}

/**
 * Asks the keys named by `selectors` (or every attached HID key for 'all') for
 * a touch; resolves with the key touched, still open. The others are sent
 * CTAPHID_CANCEL and closed. Errors: 'presence' (none touched in time),
 * 'presence-denied' (every key refused), 'cancelled' (signal), 'no-device'.
 */
export async function selectByTouch(selectors: readonly string[] | 'all', o: SelectByTouchOptions = {}): Promise<TouchSelection> {
  // Every attached key: a card placed on a reader during the wait is one too. The watch starts before the listing,
  // so a card placed in between is not missed (and, being listed, not taken twice).
  const every = selectors === 'all' || selectors.length === 0;
  const late = every ? await watchReaders(o) : undefined;
  try {
    const candidates = await candidatesFor(selectors, o, late?.watching === true);
    const { index, device } = await touchOneOf(candidates, {
      timeoutMs: o.timeoutMs ?? TOUCH_TIMEOUT_MS,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onWaiting ? { onWaiting: o.onWaiting } : {}),
      ...(late?.watching ? { late: late.source(candidates) } : {}),
    });
    return { key: index < candidates.length ? candidates[index]!.key : late!.arrived[index - candidates.length]!.key, device };
  } finally {
    late?.stop();
  }
}

/** Cards placed on a reader during the wait, as candidates (numbered after the attached keys, as `list` would). */
async function watchReaders(o: SelectByTouchOptions): Promise<{ watching: boolean; arrived: Candidate[]; source(known: readonly Candidate[]): LateCandidates; stop(): void }> {
  const { watchCardArrivals, pcscLabel } = await import('../transports/pcsc/readers.js');
  const queue: string[] = [];
  let deliver: ((reader: string) => void) | undefined;
  const watch = await watchCardArrivals((reader) => (deliver ? deliver(reader) : queue.push(reader)));
  const arrived: Candidate[] = [];
  return {
    watching: watch.watching,
    arrived,
    stop: () => watch.stop(),
    source: (known) => ({
      onCandidate(add) {
        deliver = (reader) => {
          const path = pcscLabel(reader);
          if (known.some((c) => c.key.path === path)) return; // listed at the start: already asked
          const c: Candidate = {
            label: `the key placed on PC/SC reader "${reader}"`,
            key: { index: known.length + arrived.length + 1, path, product: reader },
            open: () => openChannel(path, { ...o, timeoutMs: o.timeoutMs ?? TOUCH_TIMEOUT_MS }),
          };
          arrived.push(c);
          add(c);
        };
        for (const r of queue.splice(0)) deliver(r);
      },
      stop: () => watch.stop(),
    }),
  };
}

interface Armed {
  index: number;
  device: KeyChannel;
  abort: AbortController;
  done: Promise<void>;
}

function skipReason(label: string, e: unknown): string {
  return `${label}: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Asks every candidate for a touch; resolves with the first key touched, still open. The others are closed.
 * Keys from `o.late` are asked as they turn up, within the same timeout; a card placed on a reader answers at once.
 */
export async function touchOneOf(candidates: readonly TouchCandidate[], o: TouchOptions): Promise<TouchResult> {
  const skipped: string[] = [];
  const opened = await Promise.all(
    candidates.map(async (c, index) => {
      try {
        return { index, device: await c.open() };
      } catch (e) {
        skipped.push(skipReason(c.label, e));
        return undefined;
      }
    }),
  );
  const armed: Armed[] = [];
  const failures: unknown[] = [];
  let winner: Armed | undefined;
  let over = false;
  let settle!: () => void;
  const decided = new Promise<void>((resolve) => (settle = resolve));
  let pending = 0;
  const arm = (index: number, label: string, device: KeyChannel): void => {
    const abort = new AbortController();
    const ctap = new Ctap2(device, { signal: abort.signal });
    const entry: Armed = { index, device, abort, done: Promise.resolve() };
    pending++;
    entry.done = (async () => {
      const info = await ctap.getInfo();
      if (touchMethod(info) === undefined) throw new Fido2Error('unsupported', 'speaks no CTAP2 (U2F only)');
      await requestTouch(ctap, info);
    })().then(
      () => {
        winner ??= entry;
        settle();
      },
      (e: unknown) => {
        if (!abort.signal.aborted) {
          failures.push(e);
          skipped.push(skipReason(label, e));
        }
        // Every key asked has failed: the wait is over, unless it is a wait for keys still to turn up.
        if (--pending === 0 && !(o.late && armedAtStart === 0)) settle();
      },
    );
    armed.push(entry);
  };
  for (const o2 of opened) if (o2) arm(o2.index, candidates[o2.index]!.label, o2.device);
  const armedAtStart = armed.length;
  if (armedAtStart === 0 && !o.late) {
    throw new Fido2Error('no-device', `No key could be asked for a touch${skipped.length ? `: ${skipped.join('; ')}` : ''}.`);
  }
  o.onWaiting?.(armedAtStart, skipped, o.late !== undefined);
  const lateOpens: Promise<void>[] = [];
  let nextIndex = candidates.length;
  o.late?.onCandidate((c) => {
    if (over) return;
    const index = nextIndex++;
    lateOpens.push(
      c.open().then(
        async (device) => {
          if (over) await device.close().catch(() => undefined);
          else arm(index, c.label, device);
        },
        (e: unknown) => void skipped.push(skipReason(c.label, e)),
      ),
    );
  });
  let why: 'timeout' | 'cancelled' | undefined;
  const timer = setTimeout(() => {
    why = 'timeout';
    settle();
  }, o.timeoutMs);
  const onAbort = (): void => {
    why = 'cancelled';
    settle();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  await decided;
  over = true;
  o.late?.stop();
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', onAbort);
  // A key still being opened is closed as it opens (over): wait for that, each open is bounded by its timeout.
  await Promise.all(lateOpens);
  const losers = armed.filter((a) => a !== winner);
  // Cancel the others so they stop waiting for a touch, and wait for that to go out before closing.
  for (const a of losers) a.abort.abort();
  await Promise.all(losers.map((a) => a.done));
  await Promise.all(losers.map((a) => a.device.close().catch(() => undefined)));
  if (winner && why === undefined) return { index: winner.index, device: winner.device };
  if (winner) await winner.device.close().catch(() => undefined);
  if (why === 'cancelled') throw new Fido2Error('cancelled', 'Cancelled; no key was chosen and nothing was changed.');
  if (why === 'timeout') {
    const what = o.late && armedAtStart === 0 && armed.length === 0 ? 'No key was placed on a reader or touched' : 'No key was touched';
    throw new Fido2Error('presence', `${what} within ${Math.round(o.timeoutMs / 1000)} s; run again (a longer --timeout gives more time).`);
  }
  const denied = failures.every((e) => e instanceof Fido2Error && e.kind === 'presence-denied');
  if (denied) throw new Fido2Error('presence-denied', 'Every key refused the touch request; nothing was chosen.');
  throw new Fido2Error('presence', `No key was chosen: ${skipped.join('; ')}.`);
}
