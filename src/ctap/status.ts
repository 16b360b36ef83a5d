import type { ErrorKind } from '../errors.js';

/**
 * CTAP status codes, CTAP 2.1 §8.2 (plus the CTAP 2.0 names that 2.1 renamed
 * or reserved, since older keys still send them).
 */
export const Status = {
  CTAP2_OK: 0x00,
  CTAP1_ERR_INVALID_COMMAND: 0x01,
  CTAP1_ERR_INVALID_PARAMETER: 0x02,
  CTAP1_ERR_INVALID_LENGTH: 0x03,
  CTAP1_ERR_INVALID_SEQ: 0x04,
  CTAP1_ERR_TIMEOUT: 0x05,
  CTAP1_ERR_CHANNEL_BUSY: 0x06,
  CTAP1_ERR_LOCK_REQUIRED: 0x0a,
  CTAP1_ERR_INVALID_CHANNEL: 0x0b,
  CTAP2_ERR_CBOR_UNEXPECTED_TYPE: 0x11,
  CTAP2_ERR_INVALID_CBOR: 0x12,
  CTAP2_ERR_MISSING_PARAMETER: 0x14,
  CTAP2_ERR_LIMIT_EXCEEDED: 0x15,
  CTAP2_ERR_UNSUPPORTED_EXTENSION: 0x16, // CTAP 2.0; reserved in 2.1
  CTAP2_ERR_FP_DATABASE_FULL: 0x17,
  CTAP2_ERR_LARGE_BLOB_STORAGE_FULL: 0x18,
  CTAP2_ERR_CREDENTIAL_EXCLUDED: 0x19,
  CTAP2_ERR_PROCESSING: 0x21,
  CTAP2_ERR_INVALID_CREDENTIAL: 0x22,
  CTAP2_ERR_USER_ACTION_PENDING: 0x23,
  CTAP2_ERR_OPERATION_PENDING: 0x24,
  CTAP2_ERR_NO_OPERATIONS: 0x25,
  CTAP2_ERR_UNSUPPORTED_ALGORITHM: 0x26,
  CTAP2_ERR_OPERATION_DENIED: 0x27,
  CTAP2_ERR_KEY_STORE_FULL: 0x28,
  CTAP2_ERR_NOT_BUSY: 0x29, // CTAP 2.0; reserved in 2.1
  CTAP2_ERR_NO_OPERATION_PENDING: 0x2a,
  CTAP2_ERR_UNSUPPORTED_OPTION: 0x2b,
  CTAP2_ERR_INVALID_OPTION: 0x2c,
  CTAP2_ERR_KEEPALIVE_CANCEL: 0x2d,
  CTAP2_ERR_NO_CREDENTIALS: 0x2e,
  CTAP2_ERR_USER_ACTION_TIMEOUT: 0x2f,
  CTAP2_ERR_NOT_ALLOWED: 0x30,
  CTAP2_ERR_PIN_INVALID: 0x31,
  CTAP2_ERR_PIN_BLOCKED: 0x32,
  CTAP2_ERR_PIN_AUTH_INVALID: 0x33,
  CTAP2_ERR_PIN_AUTH_BLOCKED: 0x34,
  CTAP2_ERR_PIN_NOT_SET: 0x35,
  CTAP2_ERR_PUAT_REQUIRED: 0x36, // CTAP 2.0 name: CTAP2_ERR_PIN_REQUIRED
  CTAP2_ERR_PIN_POLICY_VIOLATION: 0x37,
  CTAP2_ERR_PIN_TOKEN_EXPIRED: 0x38, // CTAP 2.0; reserved in 2.1
  CTAP2_ERR_REQUEST_TOO_LARGE: 0x39,
  CTAP2_ERR_ACTION_TIMEOUT: 0x3a,
  CTAP2_ERR_UP_REQUIRED: 0x3b,
  CTAP2_ERR_UV_BLOCKED: 0x3c,
  CTAP2_ERR_INTEGRITY_FAILURE: 0x3d,
  CTAP2_ERR_INVALID_SUBCOMMAND: 0x3e,
  CTAP2_ERR_UV_INVALID: 0x3f,
  CTAP2_ERR_UNAUTHORIZED_PERMISSION: 0x40,
  CTAP1_ERR_OTHER: 0x7f,
  CTAP2_ERR_SPEC_LAST: 0xdf,
  CTAP2_ERR_EXTENSION_FIRST: 0xe0,
  CTAP2_ERR_EXTENSION_LAST: 0xef,
  CTAP2_ERR_VENDOR_FIRST: 0xf0,
  CTAP2_ERR_VENDOR_LAST: 0xff,
} as const;

export type StatusName = keyof typeof Status;

const NAMES = new Map<number, string>(Object.entries(Status).map(([name, code]) => [code, name]));

/** The spec name of a status byte; ranges without individual names get a range name. */
export function statusName(status: number): string {
  const exact = NAMES.get(status);
  if (exact !== undefined) return exact;
  if (status > Status.CTAP2_ERR_EXTENSION_FIRST && status < Status.CTAP2_ERR_EXTENSION_LAST) {
    return 'CTAP2_ERR_EXTENSION_SPECIFIC';
  }
  if (status > Status.CTAP2_ERR_VENDOR_FIRST && status < Status.CTAP2_ERR_VENDOR_LAST) {
    return 'CTAP2_ERR_VENDOR_SPECIFIC';
  }
  return 'CTAP_ERR_UNKNOWN';
}

const KINDS: ReadonlyMap<number, ErrorKind> = new Map<number, ErrorKind>([
  [Status.CTAP2_ERR_PIN_INVALID, 'pin-invalid'],
  // A biometric mismatch is the UV analogue of a wrong PIN (§6.5.5.7.3).
  [Status.CTAP2_ERR_UV_INVALID, 'pin-invalid'],
  [Status.CTAP2_ERR_PIN_BLOCKED, 'pin-blocked'],
  [Status.CTAP2_ERR_PIN_AUTH_BLOCKED, 'pin-blocked'],
  [Status.CTAP2_ERR_UV_BLOCKED, 'pin-blocked'],
  [Status.CTAP2_ERR_PIN_POLICY_VIOLATION, 'pin-policy'],
  [Status.CTAP2_ERR_PIN_NOT_SET, 'pin-required'],
  [Status.CTAP2_ERR_PUAT_REQUIRED, 'pin-required'],
  [Status.CTAP2_ERR_PIN_TOKEN_EXPIRED, 'pin-required'],
  [Status.CTAP2_ERR_OPERATION_DENIED, 'presence-denied'],
  [Status.CTAP2_ERR_USER_ACTION_TIMEOUT, 'presence'],
  [Status.CTAP2_ERR_ACTION_TIMEOUT, 'presence'],
  [Status.CTAP2_ERR_UP_REQUIRED, 'presence'],
  [Status.CTAP2_ERR_KEEPALIVE_CANCEL, 'cancelled'],
  [Status.CTAP1_ERR_INVALID_COMMAND, 'unsupported'],
  [Status.CTAP2_ERR_UNSUPPORTED_OPTION, 'unsupported'],
  [Status.CTAP2_ERR_INVALID_SUBCOMMAND, 'unsupported'],
  [Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM, 'unsupported'],
  [Status.CTAP2_ERR_UNSUPPORTED_EXTENSION, 'unsupported'],
  // CTAPHID-level faults (§11.2.9.1.6) mean the conversation broke, not that the key said no.
  [Status.CTAP1_ERR_INVALID_SEQ, 'transport'],
  [Status.CTAP1_ERR_TIMEOUT, 'transport'],
  [Status.CTAP1_ERR_CHANNEL_BUSY, 'transport'],
  [Status.CTAP1_ERR_LOCK_REQUIRED, 'transport'],
  [Status.CTAP1_ERR_INVALID_CHANNEL, 'transport'],
]);

export function statusKind(status: number): ErrorKind {
  return KINDS.get(status) ?? 'key-error';
}
