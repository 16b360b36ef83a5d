/**
 * Pure CTAPHID framing (CTAP 2.1 §11.2.4): a message is split into one
 * initialization packet and up to 128 continuation packets, each one
 * 64-byte HID report. No I/O here, so every rule can be tested directly.
 *
 *   init:         CID(4) | CMD(1, bit 7 set) | BCNTH | BCNTL | DATA(57)
 *   continuation: CID(4) | SEQ(1, 0..127)    | DATA(59)
 */
import { Fido2Error } from '../../errors.js';
import { MAX_MESSAGE_SIZE, TYPE_INIT, commandName } from './commands.js';
import { REPORT_SIZE } from './transport.js';

export const INIT_DATA_SIZE = REPORT_SIZE - 7; // 57
export const CONT_DATA_SIZE = REPORT_SIZE - 5; // 59
export const MAX_SEQ = 127;

export type Packet =
  | { type: 'init'; cid: number; cmd: number; bcnt: number; data: Uint8Array }
  | { type: 'cont'; cid: number; seq: number; data: Uint8Array };

export interface Message {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** Splits a report into header fields; throws a Fido2Error when it is not a 64-byte report. */
export function parsePacket(report: Uint8Array): Packet {
  if (report.length !== REPORT_SIZE) {
    throw new Fido2Error(
      'transport',
      `Malformed reply: a HID report of ${report.length} bytes, expected ${REPORT_SIZE}; re-plug the security key and retry`,
    );
  }
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  const cid = view.getUint32(0);
  const b4 = report[4]!;
  if (b4 & TYPE_INIT) {
    return { type: 'init', cid, cmd: b4, bcnt: view.getUint16(5), data: report.subarray(7) };
  }
  return { type: 'cont', cid, seq: b4, data: report.subarray(5) };
}

/** Number of reports a payload of this size needs. */
export function packetCount(length: number): number {
  return length <= INIT_DATA_SIZE ? 1 : 1 + Math.ceil((length - INIT_DATA_SIZE) / CONT_DATA_SIZE);
}

/**
 * Frames one message into 64-byte reports, zero-padded (§11.2.4).
 * Throws a Fido2Error before anything is sent when the payload exceeds 7609 bytes.
 */
export function encodeMessage(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  if (payload.length > MAX_MESSAGE_SIZE) {
    throw new Fido2Error(
      'transport',
      `Request of ${payload.length} bytes is over the CTAPHID limit of ${MAX_MESSAGE_SIZE} bytes; send less data per request`,
    );
  }
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(REPORT_SIZE);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid >>> 0);
  first[4] = cmd | TYPE_INIT;
  view.setUint16(5, payload.length);
  first.set(payload.subarray(0, INIT_DATA_SIZE), 7);
  reports.push(first);
  let offset = INIT_DATA_SIZE;
  for (let seq = 0; offset < payload.length; seq++) {
    const cont = new Uint8Array(REPORT_SIZE);
    new DataView(cont.buffer).setUint32(0, cid >>> 0);
    cont[4] = seq;
    cont.set(payload.subarray(offset, offset + CONT_DATA_SIZE), 5);
    reports.push(cont);
    offset += CONT_DATA_SIZE;
  }
  return reports;
}

function malformed(problem: string): Fido2Error {
  return new Fido2Error(
    'transport',
    `Malformed reply from the security key: ${problem}; re-plug it and retry`,
  );
}

/**
 * Reassembles one incoming message from packets of a single channel.
 * Channel filtering is the caller's job; this only enforces the packet
 * order rules of §11.2.4 and throws a Fido2Error('transport') on any breach.
 */
export class MessageAssembler {
  private cmd = 0;
  private cid = 0;
  private buffer: Uint8Array | undefined;
  private received = 0;
  private nextSeq = 0;

  /** True while continuation packets are still expected. */
  get inProgress(): boolean {
    return this.buffer !== undefined;
  }

  /** For error messages: which message is half-received and how far. */
  describeProgress(): string {
    if (!this.buffer) return 'no message in progress';
    return `${commandName(this.cmd)} reply stopped after ${this.received} of ${this.buffer.length} bytes`;
  }

  /** Command of the message being assembled, if any (for logging continuation packets). */
  get currentCmd(): number | undefined {
    return this.buffer ? this.cmd : undefined;
  }

  /** Bytes of the current message not received yet. */
  get remaining(): number {
    return this.buffer ? this.buffer.length - this.received : 0;
  }

  reset(): void {
    this.buffer = undefined;
    this.received = 0;
    this.nextSeq = 0;
  }

  /** Feeds one packet; returns the message once complete, otherwise undefined. */
  push(packet: Packet): Message | undefined {
    return packet.type === 'init' ? this.start(packet) : this.continue(packet);
  }

  private start(p: Extract<Packet, { type: 'init' }>): Message | undefined {
    if (this.buffer) {
      const progress = this.describeProgress();
      this.reset();
      throw malformed(`a new ${commandName(p.cmd)} packet arrived while the ${progress}`);
    }
    if (p.bcnt > MAX_MESSAGE_SIZE) {
      throw malformed(`${commandName(p.cmd)} reply announces ${p.bcnt} bytes, over the ${MAX_MESSAGE_SIZE}-byte limit`);
    }
    if (p.bcnt <= INIT_DATA_SIZE) {
      return { cid: p.cid, cmd: p.cmd, payload: p.data.slice(0, p.bcnt) };
    }
    this.cid = p.cid;
    this.cmd = p.cmd;
    this.buffer = new Uint8Array(p.bcnt);
    this.buffer.set(p.data.subarray(0, INIT_DATA_SIZE));
    this.received = INIT_DATA_SIZE;
    this.nextSeq = 0;
    return undefined;
  }

  private continue(p: Extract<Packet, { type: 'cont' }>): Message | undefined {
    const buffer = this.buffer;
    if (!buffer) {
      throw malformed(`continuation packet (SEQ ${p.seq}) without an initialization packet`);
    }
    if (p.seq !== this.nextSeq) {
      const expected = this.nextSeq;
      this.reset();
      throw malformed(`continuation packet SEQ ${p.seq} where SEQ ${expected} was expected`);
    }
    const take = Math.min(CONT_DATA_SIZE, buffer.length - this.received);
    buffer.set(p.data.subarray(0, take), this.received);
    this.received += take;
    this.nextSeq++;
    if (this.received < buffer.length) return undefined;
    this.reset();
    return { cid: this.cid, cmd: this.cmd, payload: buffer };
  }
}
