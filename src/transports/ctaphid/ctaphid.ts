/**
 * CTAPHID client (CTAP 2.1 §11.2): channel allocation, framed
 * request/response transactions, keepalive, cancel and error handling on
 * top of any Transport that moves 64-byte reports.
 */
import { randomBytes } from 'node:crypto';
import { Fido2Error } from '../../errors.js';
import { BROADCAST_CID, CAPABILITY, CTAP2_ERR_KEEPALIVE_CANCEL, CTAPHID } from './commands.js';
import { DEFAULT_TIMEOUT_MS, INIT_NONCE_SIZE, INIT_RESPONSE_SIZE, ReportIo, TOUCH_WAIT_MS, cancelledError, transact } from './transaction.js';
import type { Transport } from './transport.js';

export { CtapHidError } from './ctaphid-error.js';
export { DEFAULT_TIMEOUT_MS, TOUCH_WAIT_MS, openCancelledError } from './transaction.js';

export type KeepaliveStatus = 'processing' | 'upneeded';

export interface CtapHidOptions {
  /**
   * Idle timeout per transaction; every packet or keepalive from the key restarts it, up to
   * this long in all (plus touchWaitMs for a request that may ask for a touch). Default 5000 ms.
   */
  timeoutMs?: number;
  /** The extra time a request that may ask for a touch gets; TOUCH_WAIT_MS unless a test shortens it. */
  touchWaitMs?: number;
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
  /**
   * False when the request cannot ask for a touch (ctap/touch-requests.ts): it is then bounded by
   * the timeout alone and a KEEPALIVE UPNEEDED is reported as 'processing'. Default true.
   */
  mayTouch?: boolean;
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

export class CtapHidDevice {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly io: ReportIo,
    readonly channelId: number,
    readonly capabilities: Capabilities,
    readonly version: CtapHidVersion,
    private readonly timeoutMs: number,
    private readonly touchWaitMs: number,
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
      opts.touchWaitMs ?? TOUCH_WAIT_MS,
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
      const { mayTouch, ...rest } = opts;
      // Only CTAP2 requests wait for a person; PING and WINK are answered at once.
      const touch = cmd === CTAPHID.CBOR && mayTouch !== false ? { touchWaitMs: this.touchWaitMs } : {};
      return transact(this.io, this.channelId, cmd, payload, { ...rest, ...touch, timeoutMs: opts.timeoutMs ?? this.timeoutMs });
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
