/**
 * CTAPHID_MSG for the u2f-only profile: just enough U2F (FIDO U2F raw
 * message formats §3) to name the version; other instructions are refused.
 */
const SW_NO_ERROR = [0x90, 0x00];
const SW_WRONG_LENGTH = [0x67, 0x00];
const SW_INS_NOT_SUPPORTED = [0x6d, 0x00];
const SW_CLA_NOT_SUPPORTED = [0x6e, 0x00];
const U2F_VERSION = 0x03;

export function u2fMessage(apdu: Uint8Array): Uint8Array {
  if (apdu.length < 4) return Uint8Array.from(SW_WRONG_LENGTH);
  if (apdu[0] !== 0x00) return Uint8Array.from(SW_CLA_NOT_SUPPORTED);
  if (apdu[1] === U2F_VERSION) return Uint8Array.from([...new TextEncoder().encode('U2F_V2'), ...SW_NO_ERROR]);
  return Uint8Array.from(SW_INS_NOT_SUPPORTED);
}
