/**
 * Client-side PIN policy (CTAP 2.1 §6.5.1): at least max(4, minPINLength)
 * Unicode code points, at most 63 bytes of UTF-8, so that the PIN plus zero
 * padding fits the 64-byte paddedPin. Checking before sending spares a retry.
 */
import { Fido2Error } from '../errors.js';

export const ABSOLUTE_MIN_PIN_LENGTH = 4;
export const MAX_PIN_BYTES = 63;

/** NFC first, so that the same PIN typed on different systems hashes the same. */
export function normalizePin(pin: string): string {
  return pin.normalize('NFC');
}

export function pinCodePoints(pin: string): number {
  return [...pin].length;
}

/** Returns the NFC-normalised PIN, or throws Fido2Error('pin-policy'). Never echoes the PIN. */
export function checkNewPin(pin: string, minLength: number): string {
  const normalized = normalizePin(pin);
  const min = Math.max(ABSOLUTE_MIN_PIN_LENGTH, Number.isFinite(minLength) ? Math.floor(minLength) : 0);
  const codePoints = pinCodePoints(normalized);
  const bytes = Buffer.byteLength(normalized, 'utf8');
  if (codePoints < min || bytes > MAX_PIN_BYTES) {
    throw new Fido2Error(
      'pin-policy',
      `The new PIN must be at least ${min} characters and at most ${MAX_PIN_BYTES} bytes`,
    );
  }
  return normalized;
}

/**
 * A current PIN that no key can hold (fewer than 4 code points or more than
 * 63 bytes) would only cost an attempt, or, when long enough, block PIN auth
 * until a power cycle: refused here, before anything is sent.
 */
export function checkCurrentPin(pin: string): string {
  const normalized = normalizePin(pin);
  const codePoints = pinCodePoints(normalized);
  const bytes = Buffer.byteLength(normalized, 'utf8');
  if (codePoints < ABSOLUTE_MIN_PIN_LENGTH || bytes > MAX_PIN_BYTES) {
    throw new Fido2Error(
      'pin-policy',
      `The PIN given has ${codePoints} characters (${bytes} bytes), but a PIN has at least ${ABSOLUTE_MIN_PIN_LENGTH} characters and at most ${MAX_PIN_BYTES} bytes; nothing was sent to the key and no attempt was used. Check the PIN source.`,
    );
  }
  return normalized;
}
