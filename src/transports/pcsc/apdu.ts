/**
 * ISO 7816-4 command and response APDUs for the FIDO applet (CTAP 2.1 §11.3,
 * the NFC binding, which PC/SC readers and CCID keys carry unchanged). Pure:
 * bytes in, bytes out; the exchange with a card is in exchange.ts.
 */
import { Fido2Error } from '../../errors.js';
import { concatBytes } from '../../ctap/bytes.js';

/** The FIDO applet (CTAP 2.1 §11.3.3). */
export const FIDO_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x06, 0x47, 0x2f, 0x00, 0x01);

export const INS = {
  select: 0xa4,
  getResponse: 0xc0,
  /** NFCCTAP_MSG: one CTAP2 message (CTAP 2.1 §11.3.5). */
  nfcctapMsg: 0x10,
  /** NFCCTAP_GETRESPONSE: poll a card that answered 9100 (§11.3.5). */
  nfcctapGetResponse: 0x11,
} as const;

/** CLA 0x80: proprietary class of the NFCCTAP commands; bit 0x10: more of this command follows (ISO 7816-4 §5.1.1.1). */
export const CLA_ISO = 0x00;
export const CLA_NFCCTAP = 0x80;
export const CLA_CHAINING = 0x10;

/** NFCCTAP_MSG P1 0x80: this client polls with NFCCTAP_GETRESPONSE, so the card may answer 9100 while it works. */
export const P1_GETRESPONSE_SUPPORTED = 0x80;

export const SW_OK = 0x9000;
/** CTAP 2.1 §11.3.5: the card is still working; the first data byte is the keepalive status. */
export const SW_UPDATE = 0x9100;
/** SW1 0x61: SW2 more bytes are waiting for GET RESPONSE (00 = 256 or more). */
export const SW1_MORE_DATA = 0x61;

/**
 * Data per short command APDU when chaining. Lc allows 255; libfido2 and
 * python-fido2 stay below it (240/250) because some readers choke on full
 * frames once their own framing is added, so we do too.
 */
export const CHAIN_CHUNK = 240;

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

/** A short APDU (case 1, 2 or 4), Le = 00 (up to 256 bytes) unless `le` is false. Data over 255 bytes is a RangeError. */
export function encodeShort(c: CommandApdu, le: number | false = 0): Uint8Array {
  const data = c.data ?? new Uint8Array(0);
  if (data.length > 255) throw new RangeError('short APDU data is at most 255 bytes');
  const parts = [c.cla, c.ins, c.p1, c.p2];
  if (data.length > 0) parts.push(data.length);
  const head = Uint8Array.from(parts);
  const tail = le === false ? new Uint8Array(0) : Uint8Array.of(le & 0xff);
  return concatBytes(head, data, tail);
}

/** An extended APDU (ISO 7816-4 §5.1): 00 Lc(2) data Le(2) = 00 00 (up to 65536 bytes). */
export function encodeExtended(c: CommandApdu): Uint8Array {
  const data = c.data ?? new Uint8Array(0);
  if (data.length > 0xffff) throw new RangeError('extended APDU data is at most 65535 bytes');
  const head = Uint8Array.of(c.cla, c.ins, c.p1, c.p2, 0x00);
  const lc = data.length > 0 ? Uint8Array.of(data.length >> 8, data.length & 0xff) : new Uint8Array(0);
  return concatBytes(head, lc, data, Uint8Array.of(0x00, 0x00));
}

/**
 * The APDUs that carry one command: one extended APDU, or short APDUs with the
 * chaining bit on all but the last (ISO 7816-4 §5.1.1.1). Le is sent on the last only.
 */
export function commandApdus(c: CommandApdu, opts: { extended?: boolean; chunk?: number } = {}): Uint8Array[] {
  if (opts.extended) return [encodeExtended(c)];
  const data = c.data ?? new Uint8Array(0);
  const chunk = opts.chunk ?? CHAIN_CHUNK;
  const out: Uint8Array[] = [];
  let offset = 0;
  while (data.length - offset > chunk) {
    out.push(encodeShort({ ...c, cla: c.cla | CLA_CHAINING, data: data.subarray(offset, offset + chunk) }, false));
    offset += chunk;
  }
  out.push(encodeShort({ ...c, data: data.subarray(offset) }));
  return out;
}

export const selectApdu = (): Uint8Array => encodeShort({ cla: CLA_ISO, ins: INS.select, p1: 0x04, p2: 0x00, data: FIDO_AID });
export const getResponseApdu = (sw2: number): Uint8Array => encodeShort({ cla: CLA_ISO, ins: INS.getResponse, p1: 0, p2: 0 }, sw2);
export const nfcctapGetResponseApdu = (): Uint8Array => encodeShort({ cla: CLA_NFCCTAP, ins: INS.nfcctapGetResponse, p1: 0, p2: 0 });

/** Splits a response into data and status word; fewer than two bytes is a broken reply. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) {
    throw new Fido2Error('transport', `The card sent a ${bytes.length}-byte answer with no status word; hold it still on the reader and retry`, { reason: 'malformed-apdu' });
  }
  const n = bytes.length - 2;
  return { data: bytes.slice(0, n), sw: (bytes[n]! << 8) | bytes[n + 1]! };
}

export type AppletVersion = 'FIDO_2_0' | 'U2F_V2' | 'unknown';

/**
 * The SELECT answer names the applet's protocol (CTAP 2.1 §11.3.3): "FIDO_2_0"
 * for CTAP2 (also on keys that speak U2F too), "U2F_V2" for U2F only. Some cards
 * answer a bare 9000; they are then probed with getInfo like any other.
 */
export function parseSelectAnswer(r: ResponseApdu): AppletVersion {
  if (r.sw !== SW_OK) throw statusWordError(r.sw, 'selecting the FIDO applet');
  const text = new TextDecoder().decode(r.data);
  return text === 'FIDO_2_0' || text === 'U2F_V2' ? text : 'unknown';
}

const SW_NAMES: ReadonlyMap<number, string> = new Map([
  [0x6700, 'wrong length'],
  [0x6982, 'security status not satisfied'],
  [0x6985, 'conditions of use not satisfied'],
  [0x6a80, 'incorrect data'],
  [0x6a82, 'applet not found'],
  [0x6d00, 'instruction not supported'],
  [0x6e00, 'class not supported'],
  [0x6f00, 'no precise diagnosis'],
]);

export const swHex = (sw: number): string => sw.toString(16).toUpperCase().padStart(4, '0');

/**
 * One line for a status word that ends a command. The applet missing or not
 * knowing NFCCTAP_MSG means the card is no FIDO2 key (unsupported); any other
 * 6XXX during a CTAP command is a card that reports CTAP errors as ISO status
 * words instead of a CTAP status byte (a field deviation), a key error.
 */
export function statusWordError(sw: number, doing: string): Fido2Error {
  const name = SW_NAMES.get(sw);
  const word = `status word ${swHex(sw)}${name ? ` (${name})` : ''}`;
  if (sw === 0x6a82 || sw === 0x6d00 || sw === 0x6e00) {
    return new Fido2Error('unsupported', `The card on this reader has no FIDO2 applet (${word} while ${doing}); use a FIDO2 security key`, { reason: `sw-${swHex(sw)}` });
  }
  return new Fido2Error('key-error', `The card answered ${word} while ${doing} instead of a CTAP status; it may not follow CTAP 2.1 §11.3 — retry, or use it over USB`, { reason: `sw-${swHex(sw)}` });
}
