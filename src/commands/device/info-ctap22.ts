/**
 * The getInfo members CTAP 2.2 and 2.3 added (§6.4, 0x16..0x1F), each with what
 * it means for the person holding the key, for `info` (text lines and the
 * JSON document's `meanings`). Pure.
 */
import { configCommandName } from '../../ctap/authenticator-config.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import type { DecryptedInfo } from '../../operations/remembered-token.js';

/** Member name -> [label for text, value and meaning]; only members the key reports. */
export function ctap22Members(info: AuthenticatorInfo, known?: DecryptedInfo): Array<{ member: string; label: string; text: string }> {
  const out: Array<{ member: string; label: string; text: string }> = [];
  const add = (member: string, label: string, text: string): void => {
    out.push({ member, label, text });
  };
  if (info.maxPINLength !== undefined) add('maxPINLength', 'Maximum PIN length:', `${info.maxPINLength} characters (a longer new PIN is refused before it is sent)`);
  if (info.pinComplexityPolicy !== undefined) {
    add('pinComplexityPolicy', 'PIN complexity policy:', info.pinComplexityPolicy ? 'on (new PINs must also meet the key\'s complexity rules)' : 'off (only the length rules apply; `min-pin-length N --complexity` turns it on)');
  }
  if (info.pinComplexityPolicyURL !== undefined) add('pinComplexityPolicyURL', 'PIN policy explained at:', info.pinComplexityPolicyURL);
  if (info.uvCountSinceLastPinEntry !== undefined) {
    add('uvCountSinceLastPinEntry', 'UV since last PIN:', `${info.uvCountSinceLastPinEntry} (built-in verifications since the PIN was last entered; a platform may ask for the PIN when it grows)`);
  }
  if (info.longTouchForReset !== undefined) {
    add('longTouchForReset', 'Long touch for reset:', info.longTouchForReset ? 'on (a reset needs the key pressed and held for about 5 seconds)' : 'off (a reset needs a touch; `enable-long-touch-reset` asks for a long one)');
  }
  if (info.transportsForReset !== undefined) {
    add('transportsForReset', 'Reset accepted over:', info.transportsForReset.length ? `${info.transportsForReset.join(', ')} (a reset over any other transport is refused)` : 'no transport');
  }
  if (info.attestationFormats !== undefined) add('attestationFormats', 'Attestation formats:', `${info.attestationFormats.join(', ')} (how the key can prove its model to a site)`);
  if (info.authenticatorConfigCommands !== undefined) {
    add('authenticatorConfigCommands', 'Config commands:', `${info.authenticatorConfigCommands.map(configCommandName).join(', ') || 'none'} (only these settings can be changed)`);
  }
  if (info.encIdentifier !== undefined) {
    add('encIdentifier', 'Key identity:', known
      ? `key ${known.keyId} (decrypted with the token remembered for this key; the same across PIN changes, new after a reset)`
      : 'present, encrypted (tells this key apart; reading it needs a persistent token: `credentials list --remember`)');
  }
  if (info.encCredStoreState !== undefined) {
    const c = known?.credStore;
    add('encCredStoreState', 'Credential store state:', c === undefined
      ? 'present, encrypted (changes when passkeys change; reading it needs a persistent token: `credentials list --remember`)'
      : c === 'unknown'
        ? 'decrypted; no listing kept to compare it with (the next `credentials list` keeps one)'
        : c.changed
          ? `passkeys changed since the listing of ${c.listedAt} (the next \`credentials list\` reads them again)`
          : `passkeys unchanged since the listing of ${c.listedAt}`);
  }
  return out;
}

/** For the JSON document: each reported member's meaning, by getInfo member name. */
export function ctap22Meanings(info: AuthenticatorInfo, known?: DecryptedInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of ctap22Members(info, known)) out[m.member] = m.text;
  return out;
}
