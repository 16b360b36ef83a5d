/**
 * Exchanges with the FIDO applet over any APDU pipe (CTAP 2.1 §11.3): SELECT,
 * NFCCTAP_MSG with chaining or an extended APDU, GET RESPONSE after 61XX, and
 * NFCCTAP_GETRESPONSE polling while the card answers 9100. The pipe is
 * injected, so a scripted fake card tests every path without a reader.
 */
import { Fido2Error } from '../../errors.js';
import type { KeepaliveStatus } from '../../ctap/ctap2.js';
import { concatBytes } from '../../ctap/bytes.js';
import { cancelledError } from '../ctaphid/transaction.js';
import {
  type AppletVersion,
  CLA_NFCCTAP,
  type CommandApdu,
  commandApdus,
  FIDO_AID,
  getResponseApdu,
  INS,
  P1_GETRESPONSE_SUPPORTED,
  parseResponse,
  parseSelectAnswer,
  type ResponseApdu,
  statusWordError,
  SW1_MORE_DATA,
  SW_OK,
  SW_UPDATE,
} from './apdu.js';
import { refusesExtended } from './atr.js';

/** Sends one command APDU and resolves to the card's answer (data || SW1 SW2). */
export interface ApduPipe {
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}

export interface MsgOptions {
  onKeepalive?: (status: KeepaliveStatus) => void;
  signal?: AbortSignal;
  /** Pause between NFCCTAP_GETRESPONSE polls; the card answers at once, so without it a touch wait would spin. Default 100 ms. */
  pollMs?: number;
  /** One extended APDU instead of chained short ones. */
  extended?: boolean;
  /** The card refused the extended APDU (refusesExtended); the command went again as short APDUs. */
  onShortOnly?: () => void;
}

/** A reply bigger than this is a card that keeps sending 61XX: broken, not a big reply (CTAP's maxMsgSize is far below). */
const MAX_REPLY = 1 << 20;

/**
 * One command: chained or extended out, then GET RESPONSE while the card says
 * 61XX (ISO 7816-4 §5.3.4), the pieces joined. A chained part answered other
 * than 9000 ends the command with that answer.
 */
export async function transmitCommand(pipe: ApduPipe, c: CommandApdu, opts: { extended?: boolean } = {}): Promise<ResponseApdu> {
  const apdus = commandApdus(c, opts);
  let r: ResponseApdu = { data: new Uint8Array(0), sw: SW_OK };
  for (const [i, apdu] of apdus.entries()) {
    r = parseResponse(await pipe.transmit(apdu));
    if (i < apdus.length - 1 && r.sw !== SW_OK) return r;
  }
  const pieces = [r.data];
  let size = r.data.length;
  while (r.sw >> 8 === SW1_MORE_DATA) {
    r = parseResponse(await pipe.transmit(getResponseApdu(r.sw & 0xff)));
    pieces.push(r.data);
    size += r.data.length;
    if (size > MAX_REPLY) throw new Fido2Error('transport', 'The card kept sending data past 1 MiB; remove it from the reader and retry', { reason: 'reply-too-long' });
  }
  return { data: concatBytes(...pieces), sw: r.sw };
}

/** SELECT the FIDO applet; resolves to what it said it speaks. */
export async function selectApplet(pipe: ApduPipe): Promise<AppletVersion> {
  return parseSelectAnswer(await transmitCommand(pipe, { cla: 0x00, ins: INS.select, p1: 0x04, p2: 0x00, data: FIDO_AID }));
}

/** Keepalive status bytes in a 9100 answer (CTAP 2.1 §11.2.9.1.5 values, reused by §11.3.5). */
function keepaliveOf(data: Uint8Array): KeepaliveStatus | undefined {
  if (data[0] === 0x01) return 'processing';
  if (data[0] === 0x02) return 'upneeded';
  return undefined;
}

/**
 * One CTAP2 message (command byte || CBOR) as NFCCTAP_MSG; resolves to status
 * byte || CBOR as the HID path does. While the card answers 9100 it is polled
 * with NFCCTAP_GETRESPONSE and each answer is a keepalive. Aborting stops the
 * polling and rejects with 'cancelled'; the caller reselects the applet, which
 * ends the card's pending command (CTAP 2.1 §11.3 has no cancel message).
 */
export async function nfcctapMsg(pipe: ApduPipe, request: Uint8Array, opts: MsgOptions = {}): Promise<Uint8Array> {
  if (opts.signal?.aborted) throw cancelledError();
  const first = { cla: CLA_NFCCTAP, ins: INS.nfcctapMsg, p1: P1_GETRESPONSE_SUPPORTED, p2: 0x00, data: request };
  let r = await transmitCommand(pipe, first, opts.extended ? { extended: true } : {});
  if (opts.extended && refusesExtended(r.sw)) {
    // The ATR promised extended lengths but the card (or the reader in between) refused the form: nothing ran, say so once, go short.
    opts.onShortOnly?.();
    r = await transmitCommand(pipe, first);
  }
  while (r.sw === SW_UPDATE) {
    const status = keepaliveOf(r.data);
    if (status) opts.onKeepalive?.(status);
    await pause(opts.pollMs ?? 100, opts.signal);
    if (opts.signal?.aborted) throw cancelledError();
    r = await transmitCommand(pipe, { cla: CLA_NFCCTAP, ins: INS.nfcctapGetResponse, p1: 0, p2: 0 });
  }
  if (r.sw !== SW_OK) throw statusWordError(r.sw, `sending CTAP command 0x${(request[0] ?? 0).toString(16).padStart(2, '0')}`);
  if (r.data.length === 0) {
    throw new Fido2Error('transport', 'The card answered a CTAP command with 9000 and no CTAP status byte; it does not follow CTAP 2.1 §11.3', { reason: 'malformed-apdu' });
  }
  return r.data;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
