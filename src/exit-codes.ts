import type { ErrorKind } from './errors.js';

/** Documented in the README ("Exit codes"); scripts depend on these numbers, so never renumber. */
export const EXIT_CODES: Readonly<Record<ErrorKind | 'ok' | 'internal', number>> = {
  ok: 0,
  internal: 1,
  usage: 2,
  'no-device': 3,
  transport: 4,
  unsupported: 5,
  'pin-invalid': 6,
  'pin-blocked': 7,
  'pin-policy': 8,
  'pin-required': 9,
  presence: 10,
  'not-confirmed': 11,
  'key-error': 12,
  'already-done': 13,
  partial: 14,
  'reset-too-late': 15,
  'presence-denied': 16,
  'wrong-key': 17,
  'replug-timeout': 18,
  'key-deviates': 19,
  'storage-full': 20,
  'not-found': 21,
  cancelled: 130,
};

export function exitCodeFor(kind: ErrorKind | 'internal'): number {
  return EXIT_CODES[kind];
}
