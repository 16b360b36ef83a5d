/**
 * Fault-injecting wrapper around any Transport, for robustness tests of the
 * CTAPHID client and everything above it.
 *
 *   const t = withFaults(await openSimTransport(), { seed: 7, dropRate: 0.1 });
 *   const dev = await CtapHidDevice.open(t, { timeoutMs: 500 });
 *
 * Every fault is deterministic for a given `seed`. `t.faults` counts what was
 * actually injected so a test can check that the scenario happened.
 * Directions: 'out' = client -> key (write), 'in' = key -> client (read).
 */
import { Fido2Error } from '../../src/errors.js';
import type { Transport } from '../../src/transports/ctaphid/transport.js';

export interface FaultOptions {
  /** Seed of the pseudo-random generator deciding each fault (default 1). */
  seed?: number;
  /** Probability that one report is silently lost, per direction. */
  dropRate?: number;
  /** Which directions dropRate applies to (default ['in']). */
  dropDirections?: Array<'in' | 'out'>;
  /** Probability that an incoming report is delivered twice. */
  duplicateRate?: number;
  /** Probability that an incoming report swaps places with the one after it. */
  reorderRate?: number;
  /** Probability that a reply on a random foreign channel is injected before an incoming report. */
  foreignRate?: number;
  /** Probability that a KEEPALIVE (PROCESSING or UPNEEDED) on the report's own channel is injected before it. */
  keepaliveRate?: number;
  /** The first N requests (init packets written, INIT included unless busySkipInit) are answered with CTAPHID_ERROR CHANNEL_BUSY instead of reaching the key. */
  busyStorm?: number;
  /** Do not answer CTAPHID_INIT with CHANNEL_BUSY during a storm. */
  busySkipInit?: boolean;
  /** After this many reports were delivered to the client, the device vanishes. */
  vanishAfterReads?: number;
  /** 'error' (default): reads/writes reject like an unplugged key. 'silent': reads return nothing. */
  vanishMode?: 'error' | 'silent';
  /** Each incoming report is held this long before the client can read it. */
  delayMs?: number;
  /** Called with a short description of each injected fault. */
  onFault?: (fault: string) => void;
}

export type FaultName = 'drop' | 'duplicate' | 'reorder' | 'foreign' | 'keepalive' | 'busy' | 'vanish';

export interface FaultTransport extends Transport {
  readonly inner: Transport;
  /** How many faults of each kind were injected so far. */
  readonly faults: Record<FaultName, number>;
}

/** mulberry32: tiny deterministic PRNG, good enough to schedule faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cidOf(report: Uint8Array): number {
  return ((report[0]! << 24) | (report[1]! << 16) | (report[2]! << 8) | report[3]!) >>> 0;
}

function packet(cid: number, cmd: number, data: number[]): Uint8Array {
  const r = new Uint8Array(64);
  r[0] = cid >>> 24;
  r[1] = (cid >>> 16) & 0xff;
  r[2] = (cid >>> 8) & 0xff;
  r[3] = cid & 0xff;
  r[4] = cmd;
  r[6] = data.length;
  r.set(data, 7);
  return r;
}

interface Held {
  report: Uint8Array;
  readyAt: number;
}

export function withFaults(inner: Transport, options: FaultOptions = {}): FaultTransport {
  const random = prng(options.seed ?? 1);
  const chance = (p: number | undefined): boolean => p !== undefined && p > 0 && random() < p;
  const faults: Record<FaultName, number> = { drop: 0, duplicate: 0, reorder: 0, foreign: 0, keepalive: 0, busy: 0, vanish: 0 };
  const note = (name: FaultName, detail: string): void => {
    faults[name]++;
    options.onFault?.(`${name}: ${detail}`);
  };
  const dropDirs = new Set(options.dropDirections ?? ['in']);
  const held: Held[] = [];
  let busyLeft = options.busyStorm ?? 0;
  let swallowCid: number | undefined; // continuation packets of a request answered BUSY
  let delivered = 0;
  let vanished = false;

  const vanishError = (): Fido2Error =>
    new Fido2Error('transport', 'The security key was disconnected (fault injection); plug it in again and retry');

  const checkVanish = (): void => {
    if (!vanished && options.vanishAfterReads !== undefined && delivered >= options.vanishAfterReads) {
      vanished = true;
      note('vanish', `after ${delivered} reports`);
    }
  };

  /** Turns one report from the key into what the client will see. */
  const enqueue = (report: Uint8Array, list: Uint8Array[]): void => {
    if (dropDirs.has('in') && chance(options.dropRate)) {
      note('drop', `in cid=${cidOf(report).toString(16)}`);
      return;
    }
    if (chance(options.foreignRate)) {
      let other = Math.floor(random() * 0xffffffff) >>> 0;
      if (other === cidOf(report)) other ^= 1;
      list.push(packet(other, 0x90, [0x00, 0xa0]));
      note('foreign', `cid=${other.toString(16)}`);
    }
    if (chance(options.keepaliveRate)) {
      list.push(packet(cidOf(report), 0xbb, [random() < 0.5 ? 1 : 2]));
      note('keepalive', `cid=${cidOf(report).toString(16)}`);
    }
    list.push(report);
    if (chance(options.duplicateRate)) {
      list.push(Uint8Array.from(report));
      note('duplicate', `cid=${cidOf(report).toString(16)}`);
    }
  };

  /** Pulls one report from the inner transport (and maybe its successor, to reorder). */
  const pull = async (timeoutMs: number): Promise<void> => {
    const report = await inner.read(timeoutMs);
    if (report === undefined) return;
    const list: Uint8Array[] = [];
    if (chance(options.reorderRate)) {
      const next = await inner.read(Math.min(50, Math.max(timeoutMs, 0)));
      if (next !== undefined) {
        enqueue(next, list);
        note('reorder', `cid=${cidOf(report).toString(16)}`);
      }
    }
    enqueue(report, list);
    const readyAt = Date.now() + (options.delayMs ?? 0);
    for (const r of list) held.push({ report: r, readyAt });
  };

  return {
    label: `${inner.label}+faults`,
    inner,
    faults,

    async write(report: Uint8Array): Promise<void> {
      checkVanish();
      if (vanished) {
        if ((options.vanishMode ?? 'error') === 'error') throw vanishError();
        return;
      }
      const cid = cidOf(report);
      const isInit = (report[4]! & 0x80) !== 0;
      if (isInit) swallowCid = undefined;
      else if (swallowCid === cid) return;
      if (isInit && busyLeft > 0 && report[4] !== 0x91 && !(options.busySkipInit && report[4] === 0x86)) {
        busyLeft--;
        swallowCid = cid;
        held.push({ report: packet(cid, 0xbf, [0x06]), readyAt: Date.now() + (options.delayMs ?? 0) });
        note('busy', `cid=${cid.toString(16)}`);
        return;
      }
      if (dropDirs.has('out') && chance(options.dropRate)) {
        note('drop', `out cid=${cid.toString(16)}`);
        return;
      }
      await inner.write(report);
    },

    async read(timeoutMs: number): Promise<Uint8Array | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        checkVanish();
        if (vanished) {
          if ((options.vanishMode ?? 'error') === 'error') throw vanishError();
          const rest = deadline - Date.now();
          if (rest > 0) await new Promise((r) => setTimeout(r, rest));
          return undefined;
        }
        const now = Date.now();
        const head = held[0];
        if (head && head.readyAt <= now) {
          held.shift();
          delivered++;
          return head.report;
        }
        const remaining = deadline - now;
        if (remaining <= 0) return undefined;
        if (head) {
          await new Promise((r) => setTimeout(r, Math.min(remaining, head.readyAt - now)));
        } else {
          await pull(remaining);
          if (held.length === 0 && Date.now() >= deadline) return undefined;
        }
      }
    },

    close: () => inner.close(),
  };
}
