/**
 * The device side of CTAPHID (CTAP 2.1 §11.2): channel allocation, message
 * reassembly, one transaction at a time across all channels, keepalives
 * while a CBOR command waits, CANCEL, and the CTAPHID_ERROR replies.
 */
import { randomInt } from 'node:crypto';
import {
  BROADCAST_CID,
  Capability,
  HidCmd,
  HidError,
  KeepaliveStatus,
  MAX_MESSAGE,
  framePackets,
  parsePacket,
} from './ctaphid-frames.js';

/** Where the replies of one host go; delivery must be asynchronous. */
export interface HidPort {
  send(report: Uint8Array): void;
}

/** What a CBOR command may do while it runs. */
export interface TransactionControl {
  /** Aborted by CTAPHID_CANCEL on the same channel (§11.2.9.1.5). */
  readonly signal: AbortSignal;
  /** Switches the keepalive status; UPNEEDED goes out at once. */
  setWaitingForUser(waiting: boolean): void;
}

export interface HidBackend {
  readonly capabilities: number;
  cbor(request: Uint8Array, tx: TransactionControl): Promise<Uint8Array>;
  msg(apdu: Uint8Array): Uint8Array;
  wink(): void;
}

export interface HidTimings {
  /** Continuation packets must follow within this (§11.2.4: transaction timeout). */
  readonly messageTimeoutMs: number;
  /** KEEPALIVE cadence while a command runs (§11.2.9.1.7: every 100 ms). */
  readonly keepaliveMs: number;
}

export const DEFAULT_TIMINGS: HidTimings = { messageTimeoutMs: 500, keepaliveMs: 100 };

/** A CTAPHID version of 2, device version 1.0.0 (§11.2.9.1.3). */
const PROTOCOL_VERSION = 2;
const DEVICE_VERSION = [1, 0, 0] as const;
/** A key keeps a bounded table; the least recently allocated channel goes first. */
const MAX_CHANNELS = 64;

interface Transaction {
  readonly cid: number;
  readonly port: HidPort;
  readonly cmd: number;
  readonly buffer: Uint8Array;
  received: number;
  nextSeq: number;
  phase: 'receiving' | 'processing';
  timer?: NodeJS.Timeout | undefined;
  keepalive?: NodeJS.Timeout | undefined;
  abort?: AbortController | undefined;
  waitingForUser: boolean;
}

export class CtapHidDevice {
  private readonly channels = new Set<number>();
  private current: Transaction | undefined;

  constructor(
    private readonly backend: HidBackend,
    private readonly timings: HidTimings = DEFAULT_TIMINGS,
  ) {}

  /** One report from a host; replies go to `port`. */
  receive(report: Uint8Array, port: HidPort): void {
    const p = parsePacket(report);
    if (!p) return; // shorter than a header: nothing to answer to
    if (p.kind === 'cont') {
      this.continuation(p.cid, p.seq, p.data);
      return;
    }
    const { cid, cmd, length, data } = p;
    if (cid === 0) return this.error(port, cid, HidError.INVALID_CHANNEL);
    if (cmd === HidCmd.INIT) return this.init(port, cid, length, data);
    if (cid === BROADCAST_CID || !this.channels.has(cid)) return this.error(port, cid, HidError.INVALID_CHANNEL);
    if (cmd === HidCmd.CANCEL) {
      // Never answered itself; ends a CBOR command waiting on this channel.
      if (this.current?.cid === cid && this.current.phase === 'processing') this.current.abort?.abort();
      return;
    }
    if (this.current) {
      if (this.current.cid !== cid) return this.error(port, cid, HidError.CHANNEL_BUSY);
      if (this.current.phase === 'processing') return this.error(port, cid, HidError.CHANNEL_BUSY);
      // A new request before the last one was complete (§11.2.4).
      this.drop();
      return this.error(port, cid, HidError.INVALID_SEQ);
    }
    if (length > MAX_MESSAGE) return this.error(port, cid, HidError.INVALID_LEN);
    const tx: Transaction = {
      cid,
      port,
      cmd,
      buffer: new Uint8Array(length),
      received: 0,
      nextSeq: 0,
      phase: 'receiving',
      waitingForUser: false,
    };
    this.current = tx;
    this.append(tx, data);
  }

  /** The host behind `port` is gone: forget what it started. */
  detach(port: HidPort): void {
    if (this.current?.port === port) this.drop();
  }

  /** Power loss ends any transaction; channel IDs survive so tests can carry on. */
  powerCycle(): void {
    this.drop();
  }

  private init(port: HidPort, cid: number, length: number, data: Uint8Array): void {
    if (length !== 8) return this.error(port, cid, HidError.INVALID_LEN);
    let assigned: number;
    if (cid === BROADCAST_CID) {
      assigned = this.allocate();
    } else if (this.channels.has(cid)) {
      // Resynchronisation: abandon whatever this channel had going (§11.2.9.1.3).
      if (this.current?.cid === cid) this.drop();
      assigned = cid;
    } else {
      return this.error(port, cid, HidError.INVALID_CHANNEL);
    }
    const reply = new Uint8Array(17);
    reply.set(data.subarray(0, 8), 0);
    reply[8] = assigned >>> 24;
    reply[9] = (assigned >>> 16) & 0xff;
    reply[10] = (assigned >>> 8) & 0xff;
    reply[11] = assigned & 0xff;
    reply[12] = PROTOCOL_VERSION;
    reply.set(DEVICE_VERSION, 13);
    reply[16] = this.backend.capabilities;
    this.reply(port, cid, HidCmd.INIT, reply);
  }

  private allocate(): number {
    let cid: number;
    do cid = randomInt(1, 0xffffffff);
    while (this.channels.has(cid));
    if (this.channels.size >= MAX_CHANNELS) {
      const oldest = this.channels.values().next().value as number;
      this.channels.delete(oldest);
    }
    this.channels.add(cid);
    return cid;
  }

  private continuation(cid: number, seq: number, data: Uint8Array): void {
    const tx = this.current;
    // Stray continuation packets are ignored (§11.2.4).
    if (!tx || tx.cid !== cid || tx.phase !== 'receiving') return;
    if (seq !== tx.nextSeq) {
      this.drop();
      return this.error(tx.port, cid, HidError.INVALID_SEQ);
    }
    tx.nextSeq++;
    this.append(tx, data);
  }

  private append(tx: Transaction, data: Uint8Array): void {
    const n = Math.min(data.length, tx.buffer.length - tx.received);
    tx.buffer.set(data.subarray(0, n), tx.received);
    tx.received += n;
    clearTimeout(tx.timer);
    if (tx.received < tx.buffer.length) {
      tx.timer = setTimeout(() => {
        if (this.current !== tx) return;
        this.drop();
        this.error(tx.port, tx.cid, HidError.MSG_TIMEOUT);
      }, this.timings.messageTimeoutMs);
      return;
    }
    tx.timer = undefined;
    tx.phase = 'processing';
    this.execute(tx);
  }

  private execute(tx: Transaction): void {
    const payload = tx.buffer;
    switch (tx.cmd) {
      case HidCmd.PING:
        return this.finish(tx, HidCmd.PING, payload);
      case HidCmd.WINK:
        if (!(this.backend.capabilities & Capability.WINK)) break;
        this.backend.wink();
        return this.finish(tx, HidCmd.WINK, new Uint8Array(0));
      case HidCmd.MSG:
        if (this.backend.capabilities & Capability.NMSG) break;
        return this.finish(tx, HidCmd.MSG, this.backend.msg(payload));
      case HidCmd.CBOR:
        if (!(this.backend.capabilities & Capability.CBOR)) break;
        if (payload.length === 0) return this.fail(tx, HidError.INVALID_LEN);
        return this.runCbor(tx, payload);
      default:
        break;
    }
    this.fail(tx, HidError.INVALID_CMD);
  }

  private runCbor(tx: Transaction, request: Uint8Array): void {
    const abort = new AbortController();
    tx.abort = abort;
    const keepalive = (): void => {
      if (this.current !== tx) return;
      const status = tx.waitingForUser ? KeepaliveStatus.UPNEEDED : KeepaliveStatus.PROCESSING;
      this.reply(tx.port, tx.cid, HidCmd.KEEPALIVE, Uint8Array.of(status));
    };
    tx.keepalive = setInterval(keepalive, this.timings.keepaliveMs);
    const control: TransactionControl = {
      signal: abort.signal,
      setWaitingForUser: (waiting) => {
        const changed = waiting !== tx.waitingForUser;
        tx.waitingForUser = waiting;
        if (changed && waiting) keepalive();
      },
    };
    this.backend.cbor(request, control).then(
      (response) => {
        if (this.current === tx) this.finish(tx, HidCmd.CBOR, response);
      },
      () => {
        if (this.current === tx) this.fail(tx, HidError.OTHER);
      },
    );
  }

  private finish(tx: Transaction, cmd: number, payload: Uint8Array): void {
    this.drop();
    this.reply(tx.port, tx.cid, cmd, payload);
  }

  private fail(tx: Transaction, code: number): void {
    this.drop();
    this.error(tx.port, tx.cid, code);
  }

  /** Ends the current transaction without a reply. */
  private drop(): void {
    const tx = this.current;
    if (!tx) return;
    clearTimeout(tx.timer);
    clearInterval(tx.keepalive);
    tx.abort?.abort();
    this.current = undefined;
  }

  private error(port: HidPort, cid: number, code: number): void {
    this.reply(port, cid, HidCmd.ERROR, Uint8Array.of(code));
  }

  private reply(port: HidPort, cid: number, cmd: number, payload: Uint8Array): void {
    for (const r of framePackets(cid, cmd, payload)) port.send(r);
  }
}

