/**
 * What a card's ATR says about APDU lengths. Pure: bytes in, a decision out.
 * Extended Lc/Le is used only where the card announces it, because a card
 * without it answers an extended APDU with a wrong-length error at best.
 */

/**
 * The historical bytes of an ATR (ISO/IEC 7816-3 §8.2): T0's low nibble counts
 * them; they follow the interface bytes that the Y indicators (high nibbles of
 * T0 and each TDi) announce, and precede TCK. For a contactless card the PC/SC
 * reader builds the ATR from the ATS historical bytes (PC/SC part 3 §3.1.3.2.3),
 * so they are the card's own. Undefined for an ATR too short for what it announces.
 */
export function historicalBytes(atr: Uint8Array): Uint8Array | undefined {
  if (atr.length < 2) return undefined;
  const count = atr[1]! & 0x0f;
  let y = atr[1]! >> 4;
  let at = 2;
  for (;;) {
    // TA, TB, TC, TD for this level, each present when its Y bit is set.
    for (const bit of [0x1, 0x2, 0x4]) if (y & bit) at++;
    if (!(y & 0x8)) break;
    if (at >= atr.length) return undefined;
    y = atr[at]! >> 4;
    at++;
  }
  if (at + count > atr.length) return undefined;
  return atr.slice(at, at + count);
}

/**
 * The card capabilities data object (ISO/IEC 7816-4 §8.1.1.2.7): compact-TLV
 * tag 7 in historical bytes that start with category indicator 0x80 (compact-TLV
 * objects follow) or 0x00 (the same, then a 3-byte status indicator at the end).
 * Resolves to its 1 to 3 bytes (the software function tables), or undefined.
 */
export function cardCapabilities(historical: Uint8Array): Uint8Array | undefined {
  const category = historical[0];
  if (category !== 0x80 && category !== 0x00) return undefined;
  const end = category === 0x00 ? historical.length - 3 : historical.length;
  let at = 1;
  while (at < end) {
    const tag = historical[at]! >> 4;
    const len = historical[at]! & 0x0f;
    if (at + 1 + len > end) return undefined;
    if (tag === 0x7) return historical.slice(at + 1, at + 1 + len);
    at += 1 + len;
  }
  return undefined;
}

/** Third software function table (ISO/IEC 7816-4 table 88), bit 7: "Extended Lc and Le fields". */
export const CAPS_EXTENDED_LENGTH = 0x40;
/** Same table, bit 8: command chaining. */
export const CAPS_COMMAND_CHAINING = 0x80;

/** The card announces extended Lc/Le in its ATR; anything missing or unreadable means no (short APDUs are always understood). */
export function announcesExtendedLength(atr: Uint8Array | undefined): boolean {
  if (!atr) return false;
  const hist = historicalBytes(atr);
  const caps = hist && cardCapabilities(hist);
  return caps !== undefined && caps.length === 3 && (caps[2]! & CAPS_EXTENDED_LENGTH) !== 0;
}

/**
 * Status words by which a card refuses the extended form itself (wrong length,
 * or it cannot parse the header as a command it knows): the command did not run,
 * so it is sent again as short APDUs.
 */
export function refusesExtended(sw: number): boolean {
  return sw >> 8 === 0x67 || sw === 0x6d00 || sw === 0x6e00;
}
