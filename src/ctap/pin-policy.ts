/**
 * Client-side PIN policy (CTAP 2.1 §6.5.1): at least max(4, minPINLength)
 * Unicode code points, at most 63 bytes of UTF-8, so that the PIN plus zero
 * padding fits the 64-byte paddedPin, and at most maxPINLength code points
 * where the key reports it (CTAP 2.2 getInfo 0x1D). Checking before sending
 * spares a retry.
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

const CONTROL_NAMES: Readonly<Record<string, string>> = {
  '\t': 'a tab',
  '\n': 'a line feed (newline)',
  '\r': 'a carriage return',
  '\u001b': 'an escape character (from an arrow or function key)',
  '\u007f': 'a delete character',
};

/**
 * The first control character in `pin`, named for a message ("a tab,
 * U+0009"); undefined when there is none. Names only the character, never
 * the PIN around it.
 */
export function controlCharacterIn(pin: string): string | undefined {
  const c = /\p{Cc}/u.exec(pin)?.[0];
  if (c === undefined) return undefined;
  const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return CONTROL_NAMES[c] === undefined ? code : `${CONTROL_NAMES[c]}, ${code}`;
}

/**
 * Returns the NFC-normalised PIN, or throws Fido2Error('pin-policy'). Never echoes the PIN.
 * `maxLength` is the key's maxPINLength in code points, when it reports one.
 */
export function checkNewPin(pin: string, minLength: number, maxLength?: number): string {
  const normalized = normalizePin(pin);
  const min = Math.max(ABSOLUTE_MIN_PIN_LENGTH, Number.isFinite(minLength) ? Math.floor(minLength) : 0);
  const max = maxLength !== undefined && Number.isFinite(maxLength) ? Math.floor(maxLength) : undefined;
  const codePoints = pinCodePoints(normalized);
  const bytes = Buffer.byteLength(normalized, 'utf8');
  if (codePoints < min || bytes > MAX_PIN_BYTES || (max !== undefined && codePoints > max)) {
    const upper = max === undefined ? `${MAX_PIN_BYTES} bytes` : `${max} characters (this key's maximum) and ${MAX_PIN_BYTES} bytes`;
    throw new Fido2Error('pin-policy', `The new PIN must be at least ${min} characters and at most ${upper}`);
  }
  // The key would take these, but nobody could type them at a PIN prompt again.
  const control = controlCharacterIn(normalized);
  if (control !== undefined) {
    throw new Fido2Error('pin-policy', `The new PIN contains a control character (${control}), which no PIN prompt can take; choose a PIN without one.`);
  }
  if (/^\s|\s$/u.test(normalized)) {
    throw new Fido2Error('pin-policy', 'The new PIN starts or ends with a space, which is easy to lose when typing or copying it; choose a PIN without one there.');
  }
  return normalized;
}

/** Both PINs checked, before anything is sent: a "change" to the same PIN would only cost a round trip and mislead. */
export function checkPinChange(currentPin: string, newPin: string, minLength: number, maxLength?: number): { current: string; next: string } {
  const current = checkCurrentPin(currentPin);
  const next = checkNewPin(newPin, minLength, maxLength);
  if (current === next) throw new Fido2Error('pin-policy', 'The new PIN is the same as the current one; choose a different new PIN.');
  return { current, next };
}

/**
 * Said when the key rejects a PIN that starts or ends with whitespace: a PIN
 * file or variable often carries a stray space that the person never typed.
 */
export function surroundingSpaceHint(pin: string | undefined): string {
  return pin !== undefined && /^\s|\s$/u.test(pin) ? ' The PIN given starts or ends with a space; check the PIN source for a stray one.' : '';
}

/**
 * A current PIN that no key can hold (fewer than 4 code points, more than
 * 63 bytes, a control character) would only cost an attempt, or, when long enough, block PIN auth
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
  // No PIN holds one (checkNewPin refuses them, no prompt can type them): it would only cost an attempt.
  const control = controlCharacterIn(normalized);
  if (control !== undefined) {
    throw new Fido2Error('pin-policy', `The PIN given contains a control character (${control}), which cannot be part of a PIN; nothing was sent to the key and no attempt was used. Check the PIN source.`);
  }
  return normalized;
}
