/**
 * "Touch the key you mean": every candidate key is asked for a touch at once;
 * the first one touched wins, and the others get CTAPHID_CANCEL so they stop
 * blinking. Nothing is changed on any key.
 */
import { Ctap2 } from '../ctap/ctap2.js';
import { requestTouch, touchMethod } from '../ctap/touch.js';
import { Fido2Error } from '../errors.js';
import type { CtapHidDevice } from '../transports/ctaphid/ctaphid.js';

export interface TouchCandidate {
  /** How the key is named in messages: an index line from `list`, or the selector. */
  readonly label: string;
  open(): Promise<CtapHidDevice>;
}

export interface TouchOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once every reachable key is waiting, with how many are. */
  onWaiting?: (count: number, skipped: readonly string[]) => void;
}

export interface TouchResult {
  /** Position of the winner in the candidate list. */
  index: number;
  device: CtapHidDevice;
}

interface Armed {
  index: number;
  device: CtapHidDevice;
  abort: AbortController;
  done: Promise<void>;
}

function skipReason(label: string, e: unknown): string {
  return `${label}: ${e instanceof Error ? e.message : String(e)}`;
}

/** Asks every candidate for a touch; resolves with the first key touched, still open. The others are closed. */
export async function selectByTouch(candidates: readonly TouchCandidate[], o: TouchOptions): Promise<TouchResult> {
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
  let settle!: () => void;
  const decided = new Promise<void>((resolve) => (settle = resolve));
  let pending = 0;
  for (const o2 of opened) {
    if (!o2) continue;
    const abort = new AbortController();
    const ctap = new Ctap2(o2.device, { signal: abort.signal });
    const entry: Armed = { ...o2, abort, done: Promise.resolve() };
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
          skipped.push(skipReason(candidates[entry.index]!.label, e));
        }
        if (--pending === 0) settle();
      },
    );
    armed.push(entry);
  }
  if (armed.length === 0) {
    throw new Fido2Error('no-device', `No key could be asked for a touch${skipped.length ? `: ${skipped.join('; ')}` : ''}.`);
  }
  o.onWaiting?.(armed.length, skipped);
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
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', onAbort);
  const losers = armed.filter((a) => a !== winner);
  // Cancel the others so they stop waiting for a touch, and wait for that to go out before closing.
  for (const a of losers) a.abort.abort();
  await Promise.all(losers.map((a) => a.done));
  await Promise.all(losers.map((a) => a.device.close().catch(() => undefined)));
  if (winner && why === undefined) return { index: winner.index, device: winner.device };
  if (winner) await winner.device.close().catch(() => undefined);
  if (why === 'cancelled') throw new Fido2Error('cancelled', 'Cancelled; no key was chosen and nothing was changed.');
  if (why === 'timeout') {
    throw new Fido2Error('presence', `No key was touched within ${Math.round(o.timeoutMs / 1000)} s; run again (a longer --timeout gives more time).`);
  }
  const denied = failures.every((e) => e instanceof Fido2Error && e.kind === 'presence-denied');
  if (denied) throw new Fido2Error('presence-denied', 'Every key refused the touch request; nothing was chosen.');
  throw new Fido2Error('presence', `No key was chosen: ${skipped.join('; ')}.`);
}
