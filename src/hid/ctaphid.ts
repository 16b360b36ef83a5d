/**
 * CTAPHID client (CTAP 2.1 §11.2): channel allocation, framed
 * request/response transactions, keepalive, cancel and error handling on
 * top of any Transport that moves 64-byte reports.
 */
import { randomBytes } from 'node:crypto';
import { Fido2Error } from '../errors.js';
import {
  BROADCAST_CID,
  CAPABILITY,
  CTAP2_ERR_KEEPALIVE_CANCEL,
  CTAPHID,
  ERR,
  KEEPALIVE_STATUS,
  commandName,
} from './commands.js';
import { CtapHidError } from './ctaphid-error.js';
import { formatReport } from './log-format.js';
import { MessageAssembler, encodeMessage, parsePacket } from './packets.js';
import type { Transport } from './transport.js';

export { CtapHidError } from './ctaphid-error.js';

export type KeepaliveStatus = 'processing' | 'upneeded';

export interface CtapHidOptions {
  /** Idle timeout per transaction; every packet or keepalive from the key restarts it. Default 5000 ms. */
  timeoutMs?: number;
  /** Receives one line per report. CBOR/MSG payload bytes are never included. */
  log?: (line: string) => void;
  /** Source of the CTAPHID_INIT nonce; injectable for tests. */
  random?: (n: number) => Uint8Array;
  /** Stops waiting for the INIT reply (Ctrl-C while opening). */
  signal?: AbortSignal;
}

export interface CborOptions {
  onKeepalive?: (status: KeepaliveStatus) => void;
  /** Aborting sends CTAPHID_CANCEL; the call then rejects with Fido2Error('cancelled'). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface Capabilities {
  wink: boolean;
  cbor: boolean;
  nmsg: boolean;
}

export interface CtapHidVersion {
  protocol: number;
  major: number;
  minor: number;
  build: number;
}

export interface CtapHidStats {
  reportsWritten: number;
  reportsRead: number;
  transactions: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
/** Reads are sliced so an abort is noticed quickly and a CANCEL can be written between reads. */
const POLL_SLICE_MS = 50;
/** CHANNEL_BUSY (§11.2.9.1.6): the key serves another channel; retry with growing pauses. */
const BUSY_BACKOFF_MS = [20, 40, 80, 160, 320];
/** After sending CANCEL, how long to wait for the key's KEEPALIVE_CANCEL answer. */
const CANCEL_GRACE_MS = 2000;
/** Stale reports discarded before each request (late duplicates from an earlier transaction). */
const MAX_DRAIN = 64;
const INIT_NONCE_SIZE = 8;
const INIT_RESPONSE_SIZE = 17;

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function openCancelledError(): Fido2Error {
  return new Fido2Error('cancelled', 'Cancelled while opening the key; nothing was changed.');
}

function cancelledError(): Fido2Error {
  return new Fido2Error('cancelled', 'Cancelled; the security key stopped the request');
}

interface TransactOptions extends CborOptions {
  timeoutMs: number;
  /** Returns false to discard a reply and keep waiting (INIT replies meant for another client). */
  accept?: (payload: Uint8Array) => boolean;
}

/** Report I/O with logging, counters and error normalisation; shared by open() and the device. */
class ReportIo {
  constructor(
    readonly transport: Transport,
    readonly stats: CtapHidStats,
    private readonly log: ((line: string) => void) | undefined,
  ) {}

  async write(report: Uint8Array, messageCmd: number, remaining: number): Promise<void> {
    this.log?.(formatReport('>', report, { messageCmd, remaining }));
    await guard(this.transport.write(report));
    this.stats.reportsWritten++;
  }

  async read(timeoutMs: number, assembler?: MessageAssembler): Promise<Uint8Array | undefined> {
    const report = await guard(this.transport.read(timeoutMs));
    if (report === undefined) return undefined;
    this.stats.reportsRead++;
    if (this.log) {
      const ctx = assembler?.currentCmd === undefined ? {} : { messageCmd: assembler.currentCmd, remaining: assembler.remaining };
      this.log(formatReport('<', report, ctx));
    }
    return report;
  }

  /** Sends every report of a message. */
  async send(cid: number, cmd: number, payload: Uint8Array): Promise<void> {
    const reports = encodeMessage(cid, cmd, payload);
    let remaining = payload.length;
    for (const report of reports) {
      await this.write(report, cmd, remaining);
      remaining -= report === reports[0] ? 57 : 59;
    }
  }

  async drain(): Promise<void> {
    for (let i = 0; i < MAX_DRAIN; i++) {
      if ((await this.read(0)) === undefined) return;
    }
  }
}

/** Transports promise Fido2Error; anything else is wrapped so callers see one error type. */
async function guard<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof Fido2Error) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Fido2Error('transport', `Security key I/O failed (${reason}); re-plug it and retry`, { cause: error });
  }
}

/**
 * One request/response exchange on a channel (§11.2.5): send, then read until
 * the matching reply, surfacing keepalives, ignoring other channels, and
 * retrying on CHANNEL_BUSY.
 */
async function transact(io: ReportIo, cid: number, cmd: number, payload: Uint8Array, opts: TransactOptions): Promise<Uint8Array> {
  encodeMessage(cid, cmd, payload); // rejects oversized requests before anything is sent
  if (opts.signal?.aborted) throw cmd === CTAPHID.INIT ? openCancelledError() : cancelledError();
  io.stats.transactions++;
  for (let attempt = 0; ; attempt++) {
    await io.drain();
    await io.send(cid, cmd, payload);
    try {
      return await awaitReply(io, cid, cmd, opts);
    } catch (error) {
      if (!(error instanceof CtapHidError) || error.code !== ERR.CHANNEL_BUSY) throw error;
      if (attempt >= BUSY_BACKOFF_MS.length) {
        throw new CtapHidError(
          ERR.CHANNEL_BUSY,
          `The security key stayed busy with another application (CHANNEL_BUSY after ${attempt + 1} tries); close other FIDO programs (browsers, password managers) and retry`,
        );
      }
      await sleep(BUSY_BACKOFF_MS[attempt]!);
      if (opts.signal?.aborted) throw cmd === CTAPHID.INIT ? openCancelledError() : cancelledError();
    }
  }
}

async function awaitReply(io: ReportIo, cid: number, cmd: number, opts: TransactOptions): Promise<Uint8Array> {
  const assembler = new MessageAssembler();
  let deadline = Date.now() + opts.timeoutMs;
  let cancelSent = false;
  for (;;) {
    // No channel exists yet during INIT, so there is nothing to cancel on the key: stop at once.
    if (opts.signal?.aborted && cmd === CTAPHID.INIT) throw openCancelledError();
    if (opts.signal?.aborted && !cancelSent) {
      cancelSent = true;
      await io.send(cid, CTAPHID.CANCEL, new Uint8Array(0));
      deadline = Math.min(deadline, Date.now() + CANCEL_GRACE_MS);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timeoutError(cmd, opts.timeoutMs, assembler, cancelSent);
    const report = await io.read(Math.min(remaining, POLL_SLICE_MS), assembler);
    if (report === undefined) continue;
    const packet = parsePacket(report);
    // Other clients' traffic is visible on shared HID devices (§11.2.3); not ours.
    if (packet.cid !== cid) continue;
    if (!cancelSent) deadline = Date.now() + opts.timeoutMs;
    if (packet.type === 'init' && packet.cmd === CTAPHID.KEEPALIVE) {
      // §11.2.9.2.1: the key is still working; tell the caller, keep waiting.
      const status = packet.data[0];
      if (status === KEEPALIVE_STATUS.UPNEEDED) opts.onKeepalive?.('upneeded');
      else if (status === KEEPALIVE_STATUS.PROCESSING) opts.onKeepalive?.('processing');
      continue;
    }
    const message = assembler.push(packet);
    if (message === undefined) continue;
    if (message.cmd === CTAPHID.ERROR) throw new CtapHidError(message.payload[0] ?? ERR.OTHER);
    if (message.cmd !== cmd) {
      throw new Fido2Error(
        'transport',
        `Malformed reply from the security key: it answered ${commandName(message.cmd)} to a ${commandName(cmd)} request; re-plug it and retry`,
      );
    }
    if (opts.accept && !opts.accept(message.payload)) continue;
    return message.payload;
  }
}

function timeoutError(cmd: number, timeoutMs: number, assembler: MessageAssembler, cancelSent: boolean): Fido2Error {
  if (cancelSent) {
    return new Fido2Error('cancelled', `Cancelled; the security key did not confirm the cancel within ${seconds(CANCEL_GRACE_MS)}`);
  }
  if (assembler.inProgress) {
    return new Fido2Error(
      'transport',
      `Truncated reply from the security key: the ${assembler.describeProgress()} and nothing more came within ${seconds(timeoutMs)}; re-plug it and retry`,
    );
  }
  return new Fido2Error(
    'transport',
    `No reply from the security key within ${seconds(timeoutMs)} to ${commandName(cmd)}; check that it is plugged in and not used by another program, then retry`,
  );
}

/** An open CTAPHID channel to one authenticator. */
export class CtapHidDevice {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly io: ReportIo,
    readonly channelId: number,
    readonly capabilities: Capabilities,
    readonly version: CtapHidVersion,
    private readonly timeoutMs: number,
  ) {}

  /** Counters for benchmarks: HID reports each way and request/response transactions. */
  get stats(): CtapHidStats {
    return this.io.stats;
  }

  /** The transport label (path, tcp:HOST:PORT or sim). */
  get label(): string {
    return this.io.transport.label;
  }

  /** Allocates a channel with CTAPHID_INIT on the broadcast channel (§11.2.9.1.3). */
  static async open(transport: Transport, opts: CtapHidOptions = {}): Promise<CtapHidDevice> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const random = opts.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const io = new ReportIo(transport, { reportsWritten: 0, reportsRead: 0, transactions: 0 }, opts.log);
    const nonce = random(INIT_NONCE_SIZE).slice(0, INIT_NONCE_SIZE);
    const sameNonce = (payload: Uint8Array): boolean =>
      payload.length >= INIT_NONCE_SIZE && nonce.every((b, i) => payload[i] === b);
    // A reply with another nonce answers another client's INIT; discard it and keep reading.
    const reply = await transact(io, BROADCAST_CID, CTAPHID.INIT, nonce, { timeoutMs, accept: sameNonce, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (reply.length < INIT_RESPONSE_SIZE) {
      throw new Fido2Error(
        'transport',
        `Malformed reply from the security key: INIT response of ${reply.length} bytes, expected ${INIT_RESPONSE_SIZE}; re-plug it and retry`,
      );
    }
    const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    const channelId = view.getUint32(8);
    if (channelId === 0 || channelId === BROADCAST_CID) {
      throw new Fido2Error(
        'transport',
        `Malformed reply from the security key: it allocated the reserved channel 0x${channelId.toString(16)}; re-plug it and retry`,
      );
    }
    const flags = reply[16]!;
    return new CtapHidDevice(
      io,
      channelId,
      {
        wink: (flags & CAPABILITY.WINK) !== 0,
        cbor: (flags & CAPABILITY.CBOR) !== 0,
        nmsg: (flags & CAPABILITY.NMSG) !== 0,
      },
      { protocol: reply[12]!, major: reply[13]!, minor: reply[14]!, build: reply[15]! },
      timeoutMs,
    );
  }

  /** CTAPHID_PING: the key echoes the data; a different echo is a transport error. */
  async ping(data: Uint8Array): Promise<Uint8Array> {
    const reply = await this.request(CTAPHID.PING, data, {});
    if (reply.length !== data.length || !reply.every((b, i) => b === data[i])) {
      throw new Fido2Error('transport', 'Malformed reply from the security key: PING echo differs from the data sent; re-plug it and retry');
    }
    return reply;
  }

  /** CTAPHID_WINK: the key blinks or beeps so the user can tell which one it is. */
  async wink(): Promise<void> {
    if (!this.capabilities.wink) {
      throw new Fido2Error('unsupported', 'This security key cannot wink (no WINK capability)');
    }
    await this.request(CTAPHID.WINK, new Uint8Array(0), {});
  }

  /**
   * CTAPHID_CBOR: sends one CTAP2 request (command byte + CBOR) and returns
   * the response (status byte + CBOR). A KEEPALIVE_CANCEL status rejects with
   * Fido2Error('cancelled').
   */
  async cbor(request: Uint8Array, opts: CborOptions = {}): Promise<Uint8Array> {
    if (!this.capabilities.cbor) {
      throw new Fido2Error('unsupported', 'This security key does not support CTAP2 (no CBOR capability); it is a U2F-only key');
    }
    const reply = await this.request(CTAPHID.CBOR, request, opts);
    if (reply.length === 0) {
      throw new Fido2Error('transport', 'Malformed reply from the security key: empty CBOR response without a status byte; re-plug it and retry');
    }
    if (reply[0] === CTAP2_ERR_KEEPALIVE_CANCEL) throw cancelledError();
    return reply;
  }

  /**
   * Sends CTAPHID_CANCEL (§11.2.9.1.5) right away, outside the transaction
   * queue, so it can interrupt a pending cbor() call. The key sends no reply
   * of its own; the pending request answers KEEPALIVE_CANCEL.
   */
  async cancel(): Promise<void> {
    this.assertOpen();
    await this.io.send(this.channelId, CTAPHID.CANCEL, new Uint8Array(0));
  }

  /** Closes the transport; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.io.transport.close();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Fido2Error('transport', 'The connection to the security key is closed; open the device again');
    }
  }

  /** Runs transactions one at a time: CTAPHID allows one outstanding request per channel (§11.2.5). */
  private request(cmd: number, payload: Uint8Array, opts: CborOptions): Promise<Uint8Array> {
    const run = async (): Promise<Uint8Array> => {
      this.assertOpen();
      return transact(this.io, this.channelId, cmd, payload, { ...opts, timeoutMs: opts.timeoutMs ?? this.timeoutMs });
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
