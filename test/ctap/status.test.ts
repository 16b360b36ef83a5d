import { describe, expect, it } from 'vitest';
import { CtapError } from '../../src/ctap/errors.js';
import { Status, statusKind, statusName } from '../../src/ctap/status.js';
import { Fido2Error } from '../../src/errors.js';

describe('CTAP status codes', () => {
  it('names every code of CTAP 2.1 §8.2 with its byte', () => {
    const expected: Record<number, string> = {
      0x00: 'CTAP2_OK',
      0x01: 'CTAP1_ERR_INVALID_COMMAND',
      0x02: 'CTAP1_ERR_INVALID_PARAMETER',
      0x03: 'CTAP1_ERR_INVALID_LENGTH',
      0x04: 'CTAP1_ERR_INVALID_SEQ',
      0x05: 'CTAP1_ERR_TIMEOUT',
      0x06: 'CTAP1_ERR_CHANNEL_BUSY',
      0x0a: 'CTAP1_ERR_LOCK_REQUIRED',
      0x0b: 'CTAP1_ERR_INVALID_CHANNEL',
      0x11: 'CTAP2_ERR_CBOR_UNEXPECTED_TYPE',
      0x12: 'CTAP2_ERR_INVALID_CBOR',
      0x14: 'CTAP2_ERR_MISSING_PARAMETER',
      0x15: 'CTAP2_ERR_LIMIT_EXCEEDED',
      0x17: 'CTAP2_ERR_FP_DATABASE_FULL',
      0x18: 'CTAP2_ERR_LARGE_BLOB_STORAGE_FULL',
      0x19: 'CTAP2_ERR_CREDENTIAL_EXCLUDED',
      0x21: 'CTAP2_ERR_PROCESSING',
      0x22: 'CTAP2_ERR_INVALID_CREDENTIAL',
      0x23: 'CTAP2_ERR_USER_ACTION_PENDING',
      0x24: 'CTAP2_ERR_OPERATION_PENDING',
      0x25: 'CTAP2_ERR_NO_OPERATIONS',
      0x26: 'CTAP2_ERR_UNSUPPORTED_ALGORITHM',
      0x27: 'CTAP2_ERR_OPERATION_DENIED',
      0x28: 'CTAP2_ERR_KEY_STORE_FULL',
      0x2a: 'CTAP2_ERR_NO_OPERATION_PENDING',
      0x2b: 'CTAP2_ERR_UNSUPPORTED_OPTION',
      0x2c: 'CTAP2_ERR_INVALID_OPTION',
      0x2d: 'CTAP2_ERR_KEEPALIVE_CANCEL',
      0x2e: 'CTAP2_ERR_NO_CREDENTIALS',
      0x2f: 'CTAP2_ERR_USER_ACTION_TIMEOUT',
      0x30: 'CTAP2_ERR_NOT_ALLOWED',
      0x31: 'CTAP2_ERR_PIN_INVALID',
      0x32: 'CTAP2_ERR_PIN_BLOCKED',
      0x33: 'CTAP2_ERR_PIN_AUTH_INVALID',
      0x34: 'CTAP2_ERR_PIN_AUTH_BLOCKED',
      0x35: 'CTAP2_ERR_PIN_NOT_SET',
      0x36: 'CTAP2_ERR_PUAT_REQUIRED',
      0x37: 'CTAP2_ERR_PIN_POLICY_VIOLATION',
      0x39: 'CTAP2_ERR_REQUEST_TOO_LARGE',
      0x3a: 'CTAP2_ERR_ACTION_TIMEOUT',
      0x3b: 'CTAP2_ERR_UP_REQUIRED',
      0x3c: 'CTAP2_ERR_UV_BLOCKED',
      0x3d: 'CTAP2_ERR_INTEGRITY_FAILURE',
      0x3e: 'CTAP2_ERR_INVALID_SUBCOMMAND',
      0x3f: 'CTAP2_ERR_UV_INVALID',
      0x40: 'CTAP2_ERR_UNAUTHORIZED_PERMISSION',
      0x7f: 'CTAP1_ERR_OTHER',
      0xdf: 'CTAP2_ERR_SPEC_LAST',
      0xe0: 'CTAP2_ERR_EXTENSION_FIRST',
      0xef: 'CTAP2_ERR_EXTENSION_LAST',
      0xf0: 'CTAP2_ERR_VENDOR_FIRST',
      0xff: 'CTAP2_ERR_VENDOR_LAST',
    };
    for (const [code, name] of Object.entries(expected)) {
      expect(statusName(Number(code)), name).toBe(name);
      expect(Status[name as keyof typeof Status]).toBe(Number(code));
    }
    expect(statusName(0xe5)).toBe('CTAP2_ERR_EXTENSION_SPECIFIC');
    expect(statusName(0xf7)).toBe('CTAP2_ERR_VENDOR_SPECIFIC');
    expect(statusName(0x50)).toBe('CTAP_ERR_UNKNOWN');
  });

  it('maps statuses to error kinds', () => {
    const kinds: [number, string][] = [
      [0x31, 'pin-invalid'],
      [0x32, 'pin-blocked'],
      [0x34, 'pin-blocked'],
      [0x3c, 'pin-blocked'],
      [0x37, 'pin-policy'],
      [0x35, 'pin-required'],
      [0x36, 'pin-required'],
      [0x27, 'presence-denied'],
      [0x2f, 'presence'],
      [0x3a, 'presence'],
      [0x2d, 'cancelled'],
      [0x01, 'unsupported'],
      [0x2b, 'unsupported'],
      [0x3e, 'unsupported'],
      [0x26, 'unsupported'],
      [0x06, 'transport'],
      [0x02, 'key-error'],
      [0x33, 'key-error'],
      [0x30, 'key-error'],
      [0x7f, 'key-error'],
      [0xf3, 'key-error'],
    ];
    for (const [code, kind] of kinds) expect(statusKind(code), `0x${code.toString(16)}`).toBe(kind);
  });

  it('CtapError is a Fido2Error naming the status in one line', () => {
    const e = new CtapError(0x37);
    expect(e).toBeInstanceOf(Fido2Error);
    expect(e).toBeInstanceOf(Error);
    expect(e.kind).toBe('pin-policy');
    expect(e.status).toBe(0x37);
    expect(e.statusName).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
    expect(e.message).toBe('The security key refused: CTAP2_ERR_PIN_POLICY_VIOLATION (0x37)');
    expect(new CtapError(0x2d).message).toBe('The security key refused: CTAP2_ERR_KEEPALIVE_CANCEL (0x2D)');
    expect(new CtapError(0x01).message).not.toContain('\n');
  });
});
