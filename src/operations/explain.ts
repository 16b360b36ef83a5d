import { CtapError } from '../ctap/errors.js';
import { Fido2Error } from '../errors.js';

const RESET_ERASES = 'a reset erases every credential on the key, its PIN and its settings';

/**
 * Turns the key's status codes into one-line messages that say what to do.
 * `context.retries` is the count read back after a wrong PIN (reading it needs no PIN).
 */
export function explain(e: unknown, context: { retries?: number; minPINLength?: number; forcePINChange?: boolean; powerCycle?: string; hint?: string; pinRules?: string } = {}): unknown {
  if (!(e instanceof CtapError)) return e;
  const msg = (kind: Fido2Error['kind'], text: string, reason?: string) => new Fido2Error(kind, text, { cause: e, reason });
  const left = (context.retries === undefined ? '' : ` ${context.retries} ${context.retries === 1 ? 'attempt' : 'attempts'} left before the PIN is blocked.`) + (context.hint ?? '');
  switch (e.status) {
    case 0x31:
      return msg('pin-invalid', `Wrong PIN; nothing was changed.${left}`);
    case 0x34:
      return msg('pin-blocked', `Wrong PIN, and too many wrong PINs in a row: ${context.powerCycle ?? 'unplug the key, plug it back in'}, and try again.${left}`, 'power-cycle-required');
    case 0x32:
      return msg('pin-blocked', `The PIN is blocked after too many wrong attempts. Only a reset helps, and ${RESET_ERASES}.`, 'pin-blocked');
    case 0x3c:
      return msg('pin-blocked', 'Built-in user verification is blocked; use the PIN instead (without --uv).', 'uv-blocked');
    case 0x3f:
      return msg('pin-invalid', 'The key did not recognise your fingerprint; try again or use the PIN (without --uv).');
    case 0x37: {
      // The key's own rules, from getInfo (pin-rules.ts), when the caller had them.
      if (context.pinRules !== undefined) return msg('pin-policy', `The key refused the PIN by its policy: ${context.pinRules} (see \`fido2-manage info\`).`);
      if (context.forcePINChange) {
        return msg('pin-policy', `The key refused the new PIN: while a PIN change is required it must differ from the current PIN and have at least ${Math.max(4, context.minPINLength ?? 4)} characters.`);
      }
      const min = context.minPINLength === undefined ? 'the minimum length the key requires' : `${Math.max(4, context.minPINLength)} characters`;
      return msg('pin-policy', `The key refused the PIN by its policy: at least ${min} and at most 63 bytes, and no forced PIN change pending (see \`fido2-manage info\`).`);
    }
    case 0x35:
      return msg('pin-required', 'No PIN is set on this key; set one first with `fido2-manage set-pin`.');
    case 0x36:
      return msg('pin-required', 'The key requires a PIN for this; pass it with --pin-file, --pin-env, FIDO2_PIN or --pin-stdin, or set one first with `fido2-manage set-pin`.');
    case 0x33:
      return msg('key-error', 'The key rejected the PIN/UV authentication of the request (CTAP2_ERR_PIN_AUTH_INVALID); nothing was changed. Try again; if it persists, try --pin-protocol 1.');
    case 0x27:
      return msg('presence-denied', 'User presence was denied on the key; nothing was changed.');
    case 0x2f:
    case 0x3a:
      return msg('presence', 'The key was not touched in time; run the command again and touch it when it blinks.');
    case 0x2d:
      return msg('cancelled', 'Cancelled; the key stopped waiting.');
    case 0x18:
      return msg('storage-full', 'The key has no room for this large-blob array (CTAP2_ERR_LARGE_BLOB_STORAGE_FULL); make the data smaller or remove other entries with `large-blobs clean`.', 'large-blob-storage-full');
    case 0x3d:
      return msg('key-error', 'The key found the large-blob array it received damaged (CTAP2_ERR_INTEGRITY_FAILURE) and kept the one it had; run the command again.', 'large-blob-integrity');
    case 0x30:
      return msg('key-error', `The key does not allow this now (${e.statusName}); for a reset, most keys need it within 10 seconds of being plugged in.`);
    default:
      return e;
  }
}
