/**
 * CTAPHID packet layout (CTAP 2.1 §11.2.4): 64-byte reports, an
 * initialization packet carrying the command and length, then continuation
 * packets carrying a sequence number.
 */
export const REPORT_SIZE = 64;
export const INIT_DATA = REPORT_SIZE - 7;
export const CONT_DATA = REPORT_SIZE - 5;
/** 57 + 128 × 59: the most one initialization and 128 continuation packets carry. */
export const MAX_MESSAGE = INIT_DATA + 128 * CONT_DATA;
export const BROADCAST_CID = 0xffffffff;

export const HidCmd = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

/** CTAPHID_ERROR codes (§11.2.9.1.6). */
export const HidError = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;

export const Capability = { WINK: 0x01, LOCK: 0x02, CBOR: 0x04, NMSG: 0x08 } as const;

export const KeepaliveStatus = { PROCESSING: 1, UPNEEDED: 2 } as const;

export type Packet =
  | { readonly kind: 'init'; readonly cid: number; readonly cmd: number; readonly length: number; readonly data: Uint8Array }
  | { readonly kind: 'cont'; readonly cid: number; readonly seq: number; readonly data: Uint8Array };

/** Reads one report; undefined when it is too short to carry a header. */
export function parsePacket(report: Uint8Array): Packet | undefined {
  if (report.length < 5) return undefined;
  const cid = ((report[0]! << 24) >>> 0) + (report[1]! << 16) + (report[2]! << 8) + report[3]!;
  const b = report[4]!;
  if (b & 0x80) {
    if (report.length < 7) return undefined;
    return { kind: 'init', cid, cmd: b & 0x7f, length: (report[5]! << 8) | report[6]!, data: report.subarray(7) };
  }
  return { kind: 'cont', cid, seq: b, data: report.subarray(5) };
}

function header(cid: number, report: Uint8Array): void {
  report[0] = cid >>> 24;
  report[1] = (cid >>> 16) & 0xff;
  report[2] = (cid >>> 8) & 0xff;
  report[3] = cid & 0xff;
}

/** Splits one message into reports, zero-padded to 64 bytes. */
export function framePackets(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const first = new Uint8Array(REPORT_SIZE);
  header(cid, first);
  first[4] = 0x80 | cmd;
  first[5] = payload.length >> 8;
  first[6] = payload.length & 0xff;
  first.set(payload.subarray(0, INIT_DATA), 7);
  out.push(first);
  for (let off = INIT_DATA, seq = 0; off < payload.length; off += CONT_DATA, seq++) {
    const r = new Uint8Array(REPORT_SIZE);
    header(cid, r);
    r[4] = seq;
    r.set(payload.subarray(off, off + CONT_DATA), 5);
    out.push(r);
  }
  return out;
}
