/**
 * ISO/IEC 7816-4 command and response APDUs for the card side of the
 * virtual key (CTAP 2.1 §11.3.4: short and extended length, command
 * chaining, 61XX response chaining). Pure: bytes in, values out.
 */

/** Status words the applet answers with (ISO/IEC 7816-4 §5.6). */
export const Sw = {
  OK: 0x9000,
  /** CTAP 2.1 §11.3.3: the authenticator is still working; poll with NFCCTAP_GETRESPONSE. */
  CTAP_UPDATE: 0x9100,
  WRONG_LENGTH: 0x6700,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  INCORRECT_P1P2: 0x6a86,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

/** Bit 5 of CLA: more command APDUs of this chain follow (ISO/IEC 7816-4 §5.1.1.1). */
export const CLA_CHAINING = 0x10;

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  /** Ne: how many response bytes the host takes at most; undefined when it sent no Le. */
  readonly ne: number | undefined;
  readonly extended: boolean;
}

export type ParsedApdu = { readonly ok: true; readonly apdu: CommandApdu } | { readonly ok: false; readonly sw: number };

const bad = (sw: number): ParsedApdu => ({ ok: false, sw });

/**
 * Parses the four cases of ISO/IEC 7816-4 §5.1 in short and extended form
 * (an extended APDU starts its length with a 00 byte). Anything whose body
 * does not match its length fields is WRONG_LENGTH.
 */
export function parseCommandApdu(bytes: Uint8Array): ParsedApdu {
  if (bytes.length < 4) return bad(Sw.WRONG_LENGTH);
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const ok = (data: Uint8Array, ne: number | undefined, extended: boolean): ParsedApdu => ({
    ok: true,
    apdu: { cla, ins, p1, p2, data: Uint8Array.from(data), ne, extended },
  });
  const body = bytes.subarray(4);
  if (body.length === 0) return ok(new Uint8Array(0), undefined, false); // case 1
  if (body.length === 1) return ok(new Uint8Array(0), body[0] === 0 ? 256 : body[0]!, false); // case 2S
  if (body[0] !== 0) {
    const lc = body[0]!;
    if (body.length === 1 + lc) return ok(body.subarray(1), undefined, false); // case 3S
    if (body.length === 2 + lc) return ok(body.subarray(1, 1 + lc), body[1 + lc] === 0 ? 256 : body[1 + lc]!, false); // case 4S
    return bad(Sw.WRONG_LENGTH);
  }
  if (body.length === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return ok(new Uint8Array(0), le === 0 ? 65536 : le, true); // case 2E
  }
  if (body.length < 3) return bad(Sw.WRONG_LENGTH);
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) return bad(Sw.WRONG_LENGTH);
  if (body.length === 3 + lc) return ok(body.subarray(3), undefined, true); // case 3E
  if (body.length === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return ok(body.subarray(3, 3 + lc), le === 0 ? 65536 : le, true); // case 4E
  }
  return bad(Sw.WRONG_LENGTH);
}

/**
 * How many bytes one response may carry: the host's Ne, or when it sent
 * no Le, as much as its form allows (hosts often omit Le on case 3 APDUs
 * and still expect the reply, e.g. a CTAP response).
 */
export function responseBudget(apdu: CommandApdu): number {
  return apdu.ne ?? (apdu.extended ? 65536 : 256);
}

/** A response APDU: the data then SW1 SW2. */
export function responseApdu(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >>> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/**
 * One piece of a long response (ISO/IEC 7816-4 §5.3.4): at most `budget`
 * bytes from `remaining`; SW 61XX while more is left (XX = what is left,
 * 00 for 256 or more), else `finalSw`.
 */
export function takeChunk(remaining: Uint8Array, budget: number, finalSw: number): { reply: Uint8Array; rest: Uint8Array } {
  const n = Math.min(remaining.length, budget);
  const rest = remaining.subarray(n);
  const sw = rest.length === 0 ? finalSw : 0x6100 | (rest.length >= 256 ? 0 : rest.length);
  return { reply: responseApdu(remaining.subarray(0, n), sw), rest };
}

/**
 * The ATR of an ISO/IEC 14443-4 contactless card as PC/SC part 3 §3.1.3.2.3
 * builds it for the host: 3B 8n 80 01, the n historical bytes (from the
 * ATS), and TCK, the XOR of every byte after TS (T=1 is offered, so TCK is due).
 */
export function contactlessAtr(historical: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (historical.length > 15) throw new RangeError('an ATR holds at most 15 historical bytes');
  const atr = [0x3b, 0x80 | historical.length, 0x80, 0x01, ...historical];
  let tck = 0;
  for (const b of atr.slice(1)) tck ^= b;
  return Uint8Array.from([...atr, tck]);
}

/**
 * Historical bytes that announce the card's capabilities (ISO/IEC 7816-4
 * §8.1.1.2.7): category indicator 80 (compact-TLV follows), then tag 7 with the
 * three software function tables: selection by full DF name (80); data coding
 * byte 01; command chaining (80), plus extended Lc and Le fields (40) when the
 * card takes extended APDUs.
 */
export function capabilityHistoricalBytes(extendedLength: boolean): Uint8Array {
  return Uint8Array.of(0x80, 0x73, 0x80, 0x01, extendedLength ? 0xc0 : 0x80);
}
