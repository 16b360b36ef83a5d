/**
 * CTAPHID constants (CTAP 2.1 §11.2.9 commands, §11.2.9.1.6 error codes).
 * Command bytes are listed with the TYPE_INIT bit (0x80) already set, as
 * they appear in byte 4 of an initialization packet (§11.2.4).
 */

/** Largest CTAPHID message: 57 bytes in the init packet + 128 continuations × 59 bytes (§11.2.4). */
export const MAX_MESSAGE_SIZE = 64 - 7 + 128 * (64 - 5); // 7609

/** Channel every client uses for CTAPHID_INIT before it owns a channel (§11.2.3). */
export const BROADCAST_CID = 0xffffffff;

/** Bit 7 of byte 4 marks an initialization packet (§11.2.4). */
export const TYPE_INIT = 0x80;

export const CTAPHID = {
  PING: 0x81,
  MSG: 0x83,
  LOCK: 0x84,
  INIT: 0x86,
  WINK: 0x88,
  CBOR: 0x90,
  CANCEL: 0x91,
  KEEPALIVE: 0xbb,
  ERROR: 0xbf,
} as const;

const COMMAND_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(CTAPHID).map(([name, code]) => [code, name]),
);

/** Human name of a command byte, e.g. 0x90 -> 'CBOR', unknown -> '0x42'. */
export function commandName(cmd: number): string {
  return COMMAND_NAMES.get(cmd) ?? `0x${cmd.toString(16).padStart(2, '0')}`;
}

/** Payload byte of CTAPHID_ERROR (§11.2.9.1.6). */
export const ERR = {
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

export type CtapHidErrorName = keyof typeof ERR | 'UNKNOWN';

const ERROR_NAMES: ReadonlyMap<number, keyof typeof ERR> = new Map(
  (Object.entries(ERR) as [keyof typeof ERR, number][]).map(([name, code]) => [code, name]),
);

export function errorName(code: number): CtapHidErrorName {
  return ERROR_NAMES.get(code) ?? 'UNKNOWN';
}

/** Capability flags in the last byte of the CTAPHID_INIT response (§11.2.9.1.3). */
export const CAPABILITY = {
  WINK: 0x01,
  CBOR: 0x04,
  NMSG: 0x08,
} as const;

/** KEEPALIVE status byte (§11.2.9.2.1). */
export const KEEPALIVE_STATUS = {
  PROCESSING: 1,
  UPNEEDED: 2,
} as const;

/** CTAP2 status the key answers to a cancelled request (CTAP 2.1 §8.2). */
export const CTAP2_ERR_KEEPALIVE_CANCEL = 0x2d;
