import { Fido2Error, type ErrorKind } from '../errors.js';
import { statusKind, statusName } from './status.js';

/** A non-zero CTAP status byte from the key (CTAP 2.1 §8.2). */
export class CtapError extends Fido2Error {
  readonly statusName: string;

  constructor(
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    const name = statusName(status);
    const hex = `0x${status.toString(16).padStart(2, '0').toUpperCase()}`;
    super(statusKind(status), `The security key refused: ${name} (${hex})`, options);
    this.name = 'CtapError';
    this.statusName = name;
  }
}

/** Every reply that cannot be understood is reported the same way, as a transport fault. */
export function malformed(detail: string, cause?: unknown): Fido2Error {
  return new Fido2Error(
    'transport',
    `The security key sent a malformed reply: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

export function isCtapError(e: unknown, status?: number): e is CtapError {
  return e instanceof CtapError && (status === undefined || e.status === status);
}

export type { ErrorKind };
