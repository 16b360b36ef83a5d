/**
 * A minimal CTAPHID authenticator for transport and fault tests, written
 * from the spec independently of src/transports (and without src/sim): INIT, PING,
 * WINK, CBOR (answers 0x00 followed by the request, after optional
 * keepalives) and CANCEL (a pending CBOR answers 0x2D).
 */
import type { Transport } from '../../../src/transports/ctaphid/transport.js';

export interface MiniKeyOptions {
  /** KEEPALIVE packets sent before each CBOR answer, spaced `keepaliveEveryMs`. */
  keepalives?: number;
  keepaliveEveryMs?: number;
  /** Keep sending UPNEEDED until cancelled (to test CANCEL). */
  waitForTouch?: boolean;
}

function cidOf(r: Uint8Array): number {
  return ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
}

export class MiniKey {
  private nextCid = 0x11223300;
  private partial = new Map<number, { cmd: number; data: Uint8Array; got: number; seq: number }>();
  private cancelled = new Set<number>();
  requests = 0;

  constructor(
    private readonly send: (report: Uint8Array) => void,
    private readonly options: MiniKeyOptions = {},
  ) {}

  private reply(cid: number, cmd: number, payload: Uint8Array): void {
    const head = new Uint8Array(64);
    head.set([cid >>> 24, (cid >>> 16) & 0xff, (cid >>> 8) & 0xff, cid & 0xff, cmd, payload.length >> 8, payload.length & 0xff]);
    head.set(payload.subarray(0, 57), 7);
    this.send(head);
    for (let off = 57, seq = 0; off < payload.length; off += 59, seq++) {
      const c = new Uint8Array(64);
      c.set(head.subarray(0, 4));
      c[4] = seq;
      c.set(payload.subarray(off, off + 59), 5);
      this.send(c);
    }
  }

  receive(report: Uint8Array): void {
    const cid = cidOf(report);
    if (report[4]! & 0x80) {
      const cmd = report[4]!;
      const len = (report[5]! << 8) | report[6]!;
      if (cmd === 0x91) {
        this.cancelled.add(cid);
        return;
      }
      const data = new Uint8Array(len);
      data.set(report.subarray(7, 7 + Math.min(len, 57)));
      const msg = { cmd, data, got: Math.min(len, 57), seq: 0 };
      if (msg.got < len) this.partial.set(cid, msg);
      else void this.handle(cid, cmd, data);
      return;
    }
    const msg = this.partial.get(cid);
    if (!msg || report[4] !== msg.seq) {
      this.partial.delete(cid);
      this.reply(cid, 0xbf, Uint8Array.of(0x04)); // INVALID_SEQ
      return;
    }
    const take = Math.min(59, msg.data.length - msg.got);
    msg.data.set(report.subarray(5, 5 + take), msg.got);
    msg.got += take;
    msg.seq++;
    if (msg.got === msg.data.length) {
      this.partial.delete(cid);
      void this.handle(cid, msg.cmd, msg.data);
    }
  }

  private async handle(cid: number, cmd: number, data: Uint8Array): Promise<void> {
    this.requests++;
    if (cmd === 0x86) {
      const newCid = ++this.nextCid;
      this.reply(cid, 0x86, Uint8Array.from([...data.subarray(0, 8), newCid >>> 24, (newCid >>> 16) & 0xff, (newCid >>> 8) & 0xff, newCid & 0xff, 2, 1, 0, 0, 0x05]));
    } else if (cmd === 0x81) {
      this.reply(cid, 0x81, data);
    } else if (cmd === 0x88) {
      this.reply(cid, 0x88, new Uint8Array(0));
    } else if (cmd === 0x90) {
      this.cancelled.delete(cid);
      const every = this.options.keepaliveEveryMs ?? 10;
      for (let i = 0; i < (this.options.keepalives ?? 0) || this.options.waitForTouch; i++) {
        if (this.cancelled.has(cid)) break;
        this.reply(cid, 0xbb, Uint8Array.of(this.options.waitForTouch ? 2 : 1));
        await new Promise((r) => setTimeout(r, every));
      }
      if (this.cancelled.delete(cid)) this.reply(cid, 0x90, Uint8Array.of(0x2d));
      else this.reply(cid, 0x90, Uint8Array.from([0x00, ...data]));
    } else {
      this.reply(cid, 0xbf, Uint8Array.of(0x01)); // INVALID_CMD
    }
  }
}

/** A Transport connected to a MiniKey in memory. */
export function miniKeyTransport(options: MiniKeyOptions = {}): Transport & { key: MiniKey } {
  const inbox: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  const key = new MiniKey((r) => {
    inbox.push(r);
    wake?.();
  }, options);
  let closed = false;
  return {
    label: 'mini-key',
    key,
    async write(report) {
      if (closed) throw new Error('closed');
      key.receive(Uint8Array.from(report));
    },
    async read(timeoutMs) {
      if (inbox.length) return inbox.shift();
      if (timeoutMs <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      return inbox.shift();
    },
    async close() {
      closed = true;
    },
  };
}
