/**
 * `apply --watch`: a provisioning station. Keys are watched by polling: the
 * attached FIDO HID keys (listDevices), the PC/SC readers holding a FIDO key
 * (a card laid on an NFC reader, a CCID key plugged in), and each `tcp:` key
 * named, present while its port accepts a connection. A key that appears is provisioned (several at
 * once are worked on together); once its result is out it is left alone until
 * it goes away, so a key still attached is never provisioned twice. Keys
 * attached when the station starts are provisioned only when asked to.
 */
import { type DiscoveryDeps, listDevices, parseDeviceSelector } from '../devices/discovery.js';
import { canConnect } from '../transports/tcp/tcp-probe.js';
import type { KeyResult } from './results.js';
import { fromHid, type Target } from './selection.js';
import { hidTwinOf } from '../devices/same-key.js';

/** `pcsc:<reader>`, the selector, label and identity of a reader's card (as readers.ts pcscLabel, without loading PC/SC). */
const pcscLabel = (reader: string): string => `pcsc:${reader}`;

export type StationEvent<R> =
  /** Attached when the station started and left alone (no --include-present). */
  | { event: 'present'; target: Target }
  | { event: 'arrived'; target: Target }
  | { event: 'result'; target: Target; result: KeyResult<R> }
  | { event: 'removed'; target: Target };

export interface WatchOptions<R> {
  /** Watch the attached HID keys. */
  hid: boolean;
  /** Watch the PC/SC readers (nothing is found where PC/SC is missing or off). */
  pcsc?: boolean;
  /** `tcp:` keys to watch (targets from resolveTargets). */
  tcp: readonly Target[];
  includePresent: boolean;
  /** Time between two looks at what is attached. */
  pollMs: number;
  /** Ends the watch; keys in progress are cancelled by the same signal, and their results still come. */
  signal: AbortSignal;
  onEvent(e: StationEvent<R>): void;
  /** Provisions one key; never rejects (a failure is a result). */
  provision(t: Target): Promise<KeyResult<R>>;
  deps?: Pick<DiscoveryDeps, 'lister'> & {
    /** The readers holding a FIDO key now; `known` readers are not to be connected to (readers.ts pcscScanner). */
    scanPcsc?: (known: (reader: string) => boolean) => Promise<string[]>;
  };
  /** Called once the keys attached at the start are known: from now on a key plugged in is a new one. */
  onReady?: () => void;
  /** How long a `tcp:` probe waits for its connection. */
  probeMs?: number;
}

type Slot = { state: 'ignored' | 'busy' | 'finished'; target: Target };

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Runs until `signal` aborts; returns every key's result in the order they finished. */
export async function watchStation<R>(o: WatchOptions<R>): Promise<KeyResult<R>[]> {
  const slots = new Map<string, Slot>();
  const results: KeyResult<R>[] = [];
  const inflight = new Set<Promise<void>>();
  let numbered = 0;
  let scanPcsc: ((known: (reader: string) => boolean) => Promise<string[]>) | undefined;

  const scan = async (): Promise<Map<string, Omit<Target, 'number'>>> => {
    const seen = new Map<string, Omit<Target, 'number'>>();
    const hid = o.hid ? await listDevices(o.deps ?? {}) : [];
    for (const d of hid) {
      const t = fromHid(d);
      seen.set(t.id, t);
    }
    if (o.pcsc) {
      scanPcsc ??= o.deps?.scanPcsc ?? (await import('../transports/pcsc/readers.js')).pcscScanner();
      for (const reader of await scanPcsc((r) => slots.has(pcscLabel(r)))) {
        // A key's own CCID interface beside its HID one is that key: it is worked on through HID.
        if (hidTwinOf(reader, hid)) continue;
        const label = pcscLabel(reader);
        seen.set(label, { selector: label, label, id: label });
      }
    }
    await Promise.all(
      o.tcp.map(async (t) => {
        const id = t.id ?? t.selector;
        // A key being worked on is not probed: it is there, and the probe would only add a connection.
        if (slots.get(id)?.state === 'busy') return void seen.set(id, t);
        const p = parseDeviceSelector(t.selector);
        if (p.kind === 'tcp' && (await canConnect(p.host, p.port, o.probeMs ?? 1000))) seen.set(id, t);
      }),
    );
    return seen;
  };

  let first = true;
  while (!o.signal.aborted) {
    let present: Map<string, Omit<Target, 'number'>>;
    try {
      present = await scan();
    } catch (e) {
      // The first look must work (no HID access is the user's to fix); later a failed enumeration only skips a round.
      if (first) {
        await Promise.all([...inflight]);
        throw e;
      }
      await sleep(o.pollMs, o.signal);
      continue;
    }
    if (o.signal.aborted) break;
    for (const [id, t] of present) {
      if (slots.has(id)) continue;
      const target: Target = { ...t, number: ++numbered };
      if (first && !o.includePresent) {
        slots.set(id, { state: 'ignored', target });
        o.onEvent({ event: 'present', target });
        continue;
      }
      const slot: Slot = { state: 'busy', target };
      slots.set(id, slot);
      o.onEvent({ event: 'arrived', target });
      const p: Promise<void> = o
        .provision(target)
        .then((result) => {
          results.push(result);
          slot.state = 'finished';
          o.onEvent({ event: 'result', target, result });
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    for (const [id, slot] of slots) {
      if (slot.state === 'busy' || present.has(id)) continue;
      slots.delete(id);
      o.onEvent({ event: 'removed', target: slot.target });
    }
    if (first) o.onReady?.();
    first = false;
    await sleep(o.pollMs, o.signal);
  }
  await Promise.all([...inflight]);
  return results;
}
