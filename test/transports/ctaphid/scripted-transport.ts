/**
 * A fake HID device driven by a script. Each `expect` step checks the next
 * report the client writes (exact bytes or a predicate); the `reply`, `close`
 * and `fail` steps after it run once it matched. Reply steps at the very
 * start of the script are readable right away.
 *
 * Mismatches are recorded in `problems` and make write() throw a plain
 * Error, so a test fails loudly instead of the client seeing a fake reply.
 */
import { Fido2Error } from '../../../src/errors.js';
import type { Transport } from '../../../src/transports/ctaphid/transport.js';

export type Step =
  | { expect: Uint8Array | ((report: Uint8Array) => boolean); label?: string }
  | { reply: Uint8Array | Uint8Array[]; delayMs?: number }
  /** The device vanishes: reads and writes reject with Fido2Error('transport'). */
  | { fail: string; delayMs?: number }
  /** Everything written after this is accepted and ignored (e.g. trailing CANCELs). */
  | { acceptRest: true };

interface Pending {
  report: Uint8Array;
  at: number;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export class ScriptedTransport implements Transport {
  readonly label = 'scripted';
  readonly written: Uint8Array[] = [];
  readonly problems: string[] = [];
  closed = false;
  private step = 0;
  private readonly inbox: Pending[] = [];
  private failure: { error: Fido2Error; at: number } | undefined;
  private acceptingRest = false;

  constructor(private readonly script: Step[]) {
    this.releaseReplies();
  }

  /** Runs reply/fail steps up to the next expect step. */
  private releaseReplies(): void {
    let delay = 0;
    while (this.step < this.script.length) {
      const s = this.script[this.step]!;
      if ('expect' in s) return;
      this.step++;
      if ('acceptRest' in s) {
        this.acceptingRest = true;
        continue;
      }
      delay += s.delayMs ?? 0;
      const at = Date.now() + delay;
      if ('fail' in s) {
        this.failure ??= { error: new Fido2Error('transport', s.fail), at };
        continue;
      }
      for (const report of Array.isArray(s.reply) ? s.reply : [s.reply]) this.inbox.push({ report, at });
    }
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.closed) throw new Fido2Error('transport', 'scripted transport closed');
    if (this.failure && Date.now() >= this.failure.at) throw this.failure.error;
    this.written.push(Uint8Array.from(report));
    const s = this.script[this.step];
    if (s === undefined || !('expect' in s)) {
      if (this.acceptingRest) return;
      const problem = `unexpected write #${this.written.length}: ${hex(report)}`;
      this.problems.push(problem);
      throw new Error(problem);
    }
    const ok = typeof s.expect === 'function' ? s.expect(report) : hex(s.expect) === hex(report);
    if (!ok) {
      const want = typeof s.expect === 'function' ? `predicate ${s.label ?? ''}` : hex(s.expect);
      const problem = `write #${this.written.length} mismatch: got ${hex(report)}, want ${want}`;
      this.problems.push(problem);
      throw new Error(problem);
    }
    this.step++;
    this.releaseReplies();
  }

  async read(timeoutMs: number): Promise<Uint8Array | undefined> {
    if (this.closed) throw new Fido2Error('transport', 'scripted transport closed');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = Date.now();
      if (this.failure && now >= this.failure.at && (this.inbox.length === 0 || this.inbox[0]!.at > now)) {
        throw this.failure.error;
      }
      const head = this.inbox[0];
      if (head && head.at <= now) {
        this.inbox.shift();
        return head.report;
      }
      if (now >= deadline) return undefined;
      const wake = Math.min(deadline, head?.at ?? Infinity, this.failure?.at ?? Infinity);
      await new Promise((r) => setTimeout(r, Math.max(1, wake - now)));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** True when every expect step was consumed and nothing mismatched. */
  get done(): boolean {
    return this.problems.length === 0 && !this.script.slice(this.step).some((s) => 'expect' in s);
  }
}

// ---- hand-written CTAPHID packet builders, deliberately independent of src/transports/ctaphid/packets.ts ----

export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** One init packet: CID, CMD (with bit 7), BCNT big-endian, data, zero padding. */
export function initPacket(cid: number, cmd: number, bcnt: number, data: ArrayLike<number> = []): Uint8Array {
  const r = new Uint8Array(64);
  r.set(u32(cid), 0);
  r[4] = cmd;
  r[5] = bcnt >> 8;
  r[6] = bcnt & 0xff;
  r.set(Array.from(data).slice(0, 57), 7);
  return r;
}

export function contPacket(cid: number, seq: number, data: ArrayLike<number> = []): Uint8Array {
  const r = new Uint8Array(64);
  r.set(u32(cid), 0);
  r[4] = seq;
  r.set(Array.from(data).slice(0, 59), 5);
  return r;
}

/** A whole message as packets: 57 bytes in the init packet, 59 per continuation. */
export function message(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  const out = [initPacket(cid, cmd, payload.length, payload.subarray(0, 57))];
  for (let off = 57, seq = 0; off < payload.length; off += 59, seq++) {
    out.push(contPacket(cid, seq, payload.subarray(off, off + 59)));
  }
  return out;
}

export const BROADCAST = 0xffffffff;
export const NONCE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
export const CID = 0x0a0b0c0d;

/** INIT response payload (17 bytes): nonce, new CID, protocol 2, version 5.4.3, capabilities. */
export function initResponse(nonce: Uint8Array, cid: number, caps = 0x05): Uint8Array {
  return Uint8Array.from([...nonce, ...u32(cid), 2, 5, 4, 3, caps]);
}

/** The script steps for a successful channel allocation with NONCE. */
export function initSteps(caps = 0x05): Step[] {
  return [
    { expect: initPacket(BROADCAST, 0x86, 8, NONCE) },
    { reply: initPacket(BROADCAST, 0x86, 17, initResponse(NONCE, CID, caps)) },
  ];
}

export const fixedRandom = (n: number): Uint8Array => NONCE.slice(0, n);
