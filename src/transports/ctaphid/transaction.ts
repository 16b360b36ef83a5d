/**
 * One CTAPHID request/response exchange on a channel (CTAP 2.1 §11.2): report
 * I/O with logging and counters, keepalives, CANCEL, CHANNEL_BUSY backoff and
 * the idle timeout. CtapHidDevice (ctaphid.ts) runs its commands through it.
 */
import { Fido2Error } from '../../errors.js';
import { CTAPHID, ERR, KEEPALIVE_STATUS, commandName } from './commands.js';
import { CtapHidError } from './ctaphid-error.js';
import type { CborOptions, CtapHidStats } from './ctaphid.js';
import { formatReport } from './log-format.js';
import { MessageAssembler, encodeMessage, parsePacket } from './packets.js';
import type { Transport } from './transport.js';

export const DEFAULT_TIMEOUT_MS = 5000;
/**
 * How much longer than the timeout a request that may ask for a touch is
 * allowed to wait: keys give the person about 30 s before answering
 * CTAP2_ERR_USER_ACTION_TIMEOUT (CTAP 2.1 §6.1.2 step 14 leaves the time to the
 * key). Keepalives never stretch a request past timeout + this bound.
 */
export const TOUCH_WAIT_MS = 30_000;
/** Reads are sliced so an abort is noticed quickly and a CANCEL can be written between reads. */
const POLL_SLICE_MS = 50;
/** CHANNEL_BUSY (§11.2.9.1.6): the key serves another channel; retry with growing pauses. */
const BUSY_BACKOFF_MS = [20, 40, 80, 160, 320];
/** After sending CANCEL, how long to wait for the key's KEEPALIVE_CANCEL answer. */
const CANCEL_GRACE_MS = 2000;
/** Stale reports discarded before each request (late duplicates from an earlier transaction). */
const MAX_DRAIN = 64;
export const INIT_NONCE_SIZE = 8;
export const INIT_RESPONSE_SIZE = 17;

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function openCancelledError(): Fido2Error {
  return new Fido2Error('cancelled', 'Cancelled while opening the key; nothing was changed.');
}

export function cancelledError(): Fido2Error {
  return new Fido2Error('cancelled', 'Cancelled; the security key stopped the request');
}

interface TransactOptions extends Omit<CborOptions, 'mayTouch'> {
  timeoutMs: number;
  /** Set when the request may wait for a touch: the extra time it may take, and UPNEEDED is passed on. */
  touchWaitMs?: number;
  /** Returns false to discard a reply and keep waiting (INIT replies meant for another client). */
  accept?: (payload: Uint8Array) => boolean;
}

/** Report I/O with logging, counters and error normalisation; shared by open() and the device. */
export class ReportIo {
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
export async function transact(io: ReportIo, cid: number, cmd: number, payload: Uint8Array, opts: TransactOptions): Promise<Uint8Array> {
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
  // Every packet from the key restarts the idle timeout, but never past this bound: a key that
  // sends keepalives forever must not keep the tool waiting forever (§11.2.9.1.7 sets no limit).
  const bound = opts.timeoutMs + (opts.touchWaitMs ?? 0);
  const limit = Date.now() + bound;
  let deadline = Math.min(limit, Date.now() + opts.timeoutMs);
  let cancelSent = false;
  let keptAlive = false;
  for (;;) {
    // No channel exists yet during INIT, so there is nothing to cancel on the key: stop at once.
    if (opts.signal?.aborted && cmd === CTAPHID.INIT) throw openCancelledError();
    if (opts.signal?.aborted && !cancelSent) {
      cancelSent = true;
      await io.send(cid, CTAPHID.CANCEL, new Uint8Array(0));
      deadline = Math.min(deadline, Date.now() + CANCEL_GRACE_MS);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timeoutError(cmd, deadline >= limit && keptAlive ? bound : opts.timeoutMs, assembler, cancelSent, deadline >= limit && keptAlive);
    const report = await io.read(Math.min(remaining, POLL_SLICE_MS), assembler);
    if (report === undefined) continue;
    const packet = parsePacket(report);
    // Other clients' traffic is visible on shared HID devices (§11.2.3); not ours.
    if (packet.cid !== cid) continue;
    if (!cancelSent) deadline = Math.min(limit, Date.now() + opts.timeoutMs);
    if (packet.type === 'init' && packet.cmd === CTAPHID.KEEPALIVE) {
      // §11.2.9.2.1: the key is still working; tell the caller, keep waiting.
      keptAlive = true;
      const status = packet.data[0];
      // UPNEEDED on a request that asks for no touch is not the person's business: no prompt.
      if (status === KEEPALIVE_STATUS.UPNEEDED) opts.onKeepalive?.(opts.touchWaitMs === undefined ? 'processing' : 'upneeded');
      else if (status === KEEPALIVE_STATUS.PROCESSING) opts.onKeepalive?.('processing');
      continue;
    }
    keptAlive = false;
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

function timeoutError(cmd: number, timeoutMs: number, assembler: MessageAssembler, cancelSent: boolean, onlyKeepalives: boolean): Fido2Error {
  if (cancelSent) {
    return new Fido2Error('cancelled', `Cancelled; the security key did not confirm the cancel within ${seconds(CANCEL_GRACE_MS)}`);
  }
  if (onlyKeepalives) {
    return new Fido2Error(
      'transport',
      `The security key kept saying it was busy (KEEPALIVE) for ${seconds(timeoutMs)} without answering ${commandName(cmd)}; re-plug it and retry, or raise --timeout`,
    );
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
