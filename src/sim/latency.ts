/**
 * A latency model of a real USB security key, for the fleet benchmark: the
 * virtual key answers at once, a real one does not.
 *
 * - Reports: a FIDO key is a full-speed USB HID device with 64-byte reports
 *   (CTAP 2.1 §11.2.4) on an interrupt endpoint, which moves at most one report
 *   per polling interval (USB 2.0 §5.7.4); keys commonly poll at 1 ms. So every
 *   report, either way, takes its own `reportMs` slot.
 * - Crypto: the key's P-256 key generation / ECDH and PIN hashing run on a small
 *   microcontroller; published Cortex-M P-256 ECDH implementations take
 *   millions of cycles (e.g. github.com/Emill/P256-cortex-ecdh), tens of ms at
 *   the clocks keys run at. The reply to a clientPIN getKeyAgreement, setPIN,
 *   changePIN or token request is held back `cryptoMs`.
 * The delays are timers, not busy work: the serving process stays idle, as the
 * host does while a real key computes.
 */
import type { SimLink } from './virtual-key.js';

export interface LatencyModel {
  /** Per 64-byte report, each way. */
  reportMs: number;
  /** Extra time before the reply to a clientPIN request that does ECDH or PIN hashing. */
  cryptoMs: number;
}

/** The model the fleet benchmark uses for a real USB key. */
export const USB_KEY_LATENCY: LatencyModel = { reportMs: 1, cryptoMs: 40 };

interface Connectable {
  connect(onReport: (report: Uint8Array) => void): SimLink;
}

/** clientPIN subcommands that make a key do ECDH and/or hash a PIN (CTAP 2.1 §6.5.5). */
const CRYPTO_SUBCOMMANDS = new Set([0x02, 0x03, 0x04, 0x05, 0x06, 0x09]);

/** The clientPIN subCommand of an init packet, read from the start of its CBOR map (keys 0x01, 0x02 come first). */
export function clientPinSubCommand(report: Uint8Array): number | undefined {
  if (report[4] !== 0x90 || report[7] !== 0x06) return undefined;
  let i = 9; // report[8] is the map header
  for (let n = 0; n < 3 && i < report.length - 1; n++) {
    const key = report[i]!;
    const value = report[i + 1]!;
    if (key === 0x02) return value <= 0x17 ? value : undefined;
    i += 2;
  }
  return undefined;
}

/** Delivers items in order, each not before its due time (timers alone could reorder them). */
function fifo(deliver: (r: Uint8Array) => void): (r: Uint8Array, due: number) => void {
  const queue: Array<{ r: Uint8Array; due: number }> = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    timer = undefined;
    while (queue.length && queue[0]!.due <= performance.now()) deliver(queue.shift()!.r);
    if (queue.length) timer = setTimeout(pump, Math.max(0, queue[0]!.due - performance.now()));
  };
  return (r, due) => {
    queue.push({ r: Uint8Array.from(r), due });
    timer ??= setTimeout(pump, Math.max(0, due - performance.now()));
  };
}

/** Wraps `key.connect` so that every link to it follows `model`. */
export function withLatency<K extends Connectable>(key: K, model: LatencyModel): K {
  const connect = key.connect.bind(key);
  key.connect = (onReport) => {
    let inFree = 0; // when the host-to-key pipe is free next
    let outFree = 0;
    let computing = false;
    const toHost = fifo(onReport);
    const link = connect((r) => {
      const now = performance.now();
      // The key replies once the whole request is in; the reply (not a keepalive) waits for its computation.
      let ready = now;
      if (computing && r[4] !== 0xbb) {
        ready = now + model.cryptoMs;
        computing = false;
      }
      outFree = Math.max(ready, outFree) + model.reportMs;
      toHost(r, outFree);
    });
    const toKey = fifo((r) => {
      try {
        link.write(r);
      } catch {
        // The link closed while the report was in flight, as when a key is unplugged.
      }
    });
    return {
      write(report: Uint8Array) {
        inFree = Math.max(performance.now(), inFree) + model.reportMs;
        const sub = clientPinSubCommand(report);
        if (sub !== undefined && CRYPTO_SUBCOMMANDS.has(sub)) computing = true;
        toKey(report, inFree);
      },
      close: () => link.close(),
    };
  };
  return key;
}
