/**
 * A raw CTAPHID host for the virtual key's tests: it frames and reads
 * reports itself (no code from src/transports), over key.connect() or over TCP.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decodeCbor, encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import type { VirtualKey } from '../../src/sim/virtual-key.js';

export const BROADCAST = 0xffffffff;
export const CMD = { PING: 0x01, MSG: 0x03, LOCK: 0x04, INIT: 0x06, WINK: 0x08, CBOR: 0x10, CANCEL: 0x11, KEEPALIVE: 0x3b, ERROR: 0x3f };

export interface Message {
  readonly cid: number;
  readonly cmd: number;
  readonly payload: Uint8Array;
}

export function initPacket(cid: number, cmd: number, length: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const r = new Uint8Array(64);
  new DataView(r.buffer).setUint32(0, cid);
  r[4] = 0x80 | cmd;
  r[5] = length >> 8;
  r[6] = length & 0xff;
  r.set(data.subarray(0, 57), 7);
  return r;
}

export function contPacket(cid: number, seq: number, data: Uint8Array): Uint8Array {
  const r = new Uint8Array(64);
  new DataView(r.buffer).setUint32(0, cid);
  r[4] = seq;
  r.set(data.subarray(0, 59), 5);
  return r;
}

export function frame(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  const out = [initPacket(cid, cmd, payload.length, payload)];
  for (let off = 57, seq = 0; off < payload.length; off += 59, seq++) out.push(contPacket(cid, seq, payload.subarray(off)));
  return out;
}

export class RawHost {
  private readonly inbox: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  /** Keepalive statuses seen by the last receive(). */
  keepalives: number[] = [];

  constructor(private readonly sink: { write(r: Uint8Array): void; close(): void }) {}

  static attach(key: VirtualKey): RawHost {
    let host: RawHost | undefined;
    const link = key.connect((r) => host!.deliver(r));
    host = new RawHost(link);
    return host;
  }

  static async tcp(port: number, host = '127.0.0.1'): Promise<RawHost> {
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = tcpConnect(port, host, () => resolve(s));
      s.once('error', reject);
    });
    let rawHost: RawHost | undefined;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const n = pending.readUInt16BE(0);
        rawHost!.deliver(new Uint8Array(pending.subarray(2, 2 + n)));
        pending = pending.subarray(2 + n);
      }
    });
    rawHost = new RawHost({
      write: (r) => {
        const f = Buffer.alloc(2 + r.length);
        f.writeUInt16BE(r.length, 0);
        f.set(r, 2);
        socket.write(f);
      },
      close: () => socket.destroy(),
    });
    return rawHost;
  }

  private deliver(r: Uint8Array): void {
    this.inbox.push(r);
    this.waiter?.();
  }

  write(report: Uint8Array): void {
    this.sink.write(report);
  }

  close(): void {
    this.sink.close();
  }

  /** The next report, or undefined after `timeoutMs` of silence. */
  async read(timeoutMs = 3000): Promise<Uint8Array | undefined> {
    if (this.inbox.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, timeoutMs);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    return this.inbox.shift();
  }

  /** Reports that have arrived and not been read. */
  get queued(): number {
    return this.inbox.length;
  }

  send(cid: number, cmd: number, payload: Uint8Array = new Uint8Array(0)): void {
    for (const r of frame(cid, cmd, payload)) this.write(r);
  }

  /** Reassembles the next message, recording (and skipping) keepalives. */
  async receive(timeoutMs = 3000): Promise<Message> {
    this.keepalives = [];
    for (;;) {
      const first = await this.read(timeoutMs);
      if (!first) throw new Error('no reply from the virtual key');
      const dv = new DataView(first.buffer, first.byteOffset);
      const cid = dv.getUint32(0);
      if (!(first[4]! & 0x80)) throw new Error(`expected an initialization packet, got seq ${first[4]}`);
      const cmd = first[4]! & 0x7f;
      const length = (first[5]! << 8) | first[6]!;
      if (cmd === CMD.KEEPALIVE) {
        this.keepalives.push(first[7]!);
        continue;
      }
      const payload = new Uint8Array(length);
      payload.set(first.subarray(7, 7 + Math.min(57, length)));
      let got = Math.min(57, length);
      for (let seq = 0; got < length; seq++) {
        const r = await this.read(timeoutMs);
        if (!r) throw new Error('message cut short');
        if (new DataView(r.buffer, r.byteOffset).getUint32(0) !== cid || r[4] !== seq) throw new Error('bad continuation');
        const n = Math.min(59, length - got);
        payload.set(r.subarray(5, 5 + n), got);
        got += n;
      }
      return { cid, cmd, payload };
    }
  }

  async call(cid: number, cmd: number, payload?: Uint8Array): Promise<Message> {
    this.send(cid, cmd, payload);
    return this.receive();
  }

  /** CTAPHID_INIT on `cid` (broadcast by default); returns the channel the key assigned. */
  async init(cid = BROADCAST): Promise<number> {
    const nonce = new Uint8Array(randomBytes(8));
    const m = await this.call(cid, CMD.INIT, nonce);
    if (m.cmd !== CMD.INIT) throw new Error(`INIT answered with command 0x${m.cmd.toString(16)}`);
    if (Buffer.compare(m.payload.subarray(0, 8), nonce) !== 0) throw new Error('INIT nonce mismatch');
    return new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(8);
  }
}

export interface CtapReply {
  readonly status: number;
  readonly body: CborValue;
}

/** A CTAP2 host on one channel, on top of RawHost. */
export class CtapHost {
  constructor(
    readonly raw: RawHost,
    readonly cid: number,
  ) {}

  static async open(key: VirtualKey): Promise<CtapHost> {
    const raw = RawHost.attach(key);
    return new CtapHost(raw, await raw.init());
  }

  async request(command: number, params?: Encodable, raw?: Uint8Array): Promise<CtapReply> {
    const body = raw ?? (params === undefined ? new Uint8Array(0) : encodeCbor(params));
    const msg = new Uint8Array(1 + body.length);
    msg[0] = command;
    msg.set(body, 1);
    const reply = await this.raw.call(this.cid, CMD.CBOR, msg);
    if (reply.cmd !== CMD.CBOR) throw new Error(`CBOR answered with command 0x${reply.cmd.toString(16)} (${reply.payload[0]})`);
    const status = reply.payload[0]!;
    return { status, body: reply.payload.length > 1 ? decodeCbor(reply.payload.subarray(1)) : undefined };
  }

  /** The response map of a request that must succeed. */
  async ok(command: number, params?: Encodable): Promise<Map<CborValue, CborValue>> {
    const r = await this.request(command, params);
    if (r.status !== 0) throw new Error(`command 0x${command.toString(16)} failed with status 0x${r.status.toString(16)}`);
    return (r.body as Map<CborValue, CborValue> | undefined) ?? new Map();
  }

  async status(command: number, params?: Encodable): Promise<number> {
    return (await this.request(command, params)).status;
  }

  close(): void {
    this.raw.close();
  }
}
