/**
 * CTAP status codes the virtual key answers with (CTAP 2.1 §8.2), and the
 * error type its command handlers throw to end a command with one of them.
 */
export const Status = {
  OK: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  INVALID_SEQ: 0x04,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  LIMIT_EXCEEDED: 0x15,
  FP_DATABASE_FULL: 0x17,
  LARGE_BLOB_STORAGE_FULL: 0x18,
  CREDENTIAL_EXCLUDED: 0x19,
  INVALID_CREDENTIAL: 0x22,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  KEY_STORE_FULL: 0x28,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  REQUEST_TOO_LARGE: 0x39,
  UV_BLOCKED: 0x3c,
  INTEGRITY_FAILURE: 0x3d,
  INVALID_SUBCOMMAND: 0x3e,
  UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
  OTHER: 0x7f,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

/** Thrown inside a command handler; the dispatcher turns it into a one-byte response. */
export class CtapStatusError extends Error {
  constructor(readonly status: StatusCode) {
    super(`CTAP status 0x${status.toString(16).padStart(2, '0')}`);
    this.name = 'CtapStatusError';
  }
}

/** Ends the current command with `status`. */
export function fail(status: StatusCode): never {
  throw new CtapStatusError(status);
}
