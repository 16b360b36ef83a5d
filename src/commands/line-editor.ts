/**
 * The line editing of the hidden PIN prompt, as a pure function over what is
 * typed (the terminal is in raw mode, so every key arrives as bytes and the
 * prompt must do what the terminal's own line discipline would). Nothing is
 * echoed, so a key whose effect the person cannot see (an arrow moving an
 * invisible cursor, Home, a tab) makes the line refused at Enter rather than
 * turned into a PIN that costs an attempt; Ctrl-U starts the line over.
 */

export interface LineState {
  readonly value: string;
  /** Inside an escape sequence (an arrow or function key): 'esc' after ESC, 'csi' after ESC [, 'ss3' after ESC O. */
  readonly escape: 'none' | 'esc' | 'csi' | 'ss3';
  /** The first key typed that the prompt cannot honour, named; the line is refused at Enter unless cleared. */
  readonly refused?: string;
}

export type LineEnd = { kind: 'enter'; value: string } | { kind: 'cancel' } | { kind: 'refused'; reason: string };

export const EMPTY_LINE: LineState = { value: '', escape: 'none' };

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** One character as the person sees it: é typed as e + U+0301, or an emoji with a skin tone, goes at once. */
function dropLastCharacter(value: string): string {
  let last = 0;
  for (const s of segmenter.segment(value)) last = s.index;
  return value.slice(0, last);
}

/** Ctrl-W as in a shell: the spaces before the cursor, then the word before them. */
const dropLastWord = (value: string): string => value.replace(/\S*\s*$/u, '');

const withRefusal = (s: LineState, reason: string): LineState => (s.refused === undefined ? { ...s, refused: reason } : s);

const CONTROL_KEYS: Readonly<Record<string, string>> = { '\t': 'a tab', '\u001b': 'an arrow, function or Alt key' };

function keyName(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (CONTROL_KEYS[ch] !== undefined) return CONTROL_KEYS[ch];
  if (code < 0x20) return `Ctrl-${String.fromCharCode(code + 0x40)}`;
  return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Feeds what was typed; returns the new state and, once the line ends, how it ended (the rest of `typed` is ignored). */
export function editLine(state: LineState, typed: string): { state: LineState; end?: LineEnd } {
  let s = state;
  for (const ch of typed) {
    // A control key ends a sequence and still counts: ESC then Ctrl-C must cancel.
    if (s.escape !== 'none' && (ch === '\u001b' || !/\p{Cc}/u.test(ch))) {
      s = stepEscape(s, ch);
      continue;
    }
    if (s.escape !== 'none') s = { ...s, escape: 'none' };
    switch (ch) {
      case '\r':
      case '\n':
      case '\u0004': // Ctrl-D: end of input, as at a cooked terminal
        return { state: s, end: s.refused === undefined ? { kind: 'enter', value: s.value } : { kind: 'refused', reason: s.refused } };
      case '\u0003':
        return { state: s, end: { kind: 'cancel' } };
      case '\u007f':
      case '\b':
        s = { ...s, value: dropLastCharacter(s.value) };
        break;
      case '\u0015': // Ctrl-U: the whole line, and whatever was refused in it, goes
        s = EMPTY_LINE;
        break;
      case '\u0017':
        s = { ...s, value: dropLastWord(s.value) };
        break;
      case '\u001b':
        s = withRefusal({ ...s, escape: 'esc' }, keyName(ch));
        break;
      default:
        if (/\p{Cc}/u.test(ch)) s = withRefusal(s, keyName(ch));
        else s = { ...s, value: s.value + ch };
    }
  }
  return { state: s };
}

/** ECMA-48: ESC [ parameters (0x30-0x3F), intermediates (0x20-0x2F), one final byte (0x40-0x7E); ESC O and one byte. */
function stepEscape(s: LineState, ch: string): LineState {
  const code = ch.codePointAt(0)!;
  if (ch === '\u001b') return { ...s, escape: 'esc' };
  if (s.escape === 'esc') {
    if (ch === '[') return { ...s, escape: 'csi' };
    if (ch === 'O') return { ...s, escape: 'ss3' };
    return { ...s, escape: 'none' }; // Alt+key: both dropped
  }
  if (s.escape === 'csi' && code >= 0x20 && code <= 0x3f) return s;
  return { ...s, escape: 'none' };
}
