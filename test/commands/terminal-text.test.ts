import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/commands/terminal-text.js';

describe('printable', () => {
  it.each([
    ['plain text', 'alice@example.com', 'alice@example.com'],
    ['letters beyond ASCII', 'Zoë 山田 🔑', 'Zoë 山田 🔑'],
    ['a backslash stays', 'a\\b', 'a\\b'],
    ['escape (colour)', '\x1b[31mred', '\\x1b[31mred'],
    ['clear screen', '\x1b[2J\x1b[H', '\\x1b[2J\\x1b[H'],
    ['window title (OSC ... BEL)', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['newline forging a line', 'bob\nDeleted everything', 'bob\\x0aDeleted everything'],
    ['carriage return', 'bob\rmallory', 'bob\\x0dmallory'],
    ['tab', 'a\tb', 'a\\x09b'],
    ['NUL', 'a\0b', 'a\\x00b'],
    ['DEL', 'a\x7fb', 'a\\x7fb'],
    ['C1 CSI', 'a\x9b31mb', 'a\\x9b31mb'],
    ['C1 NEL', 'a\x85b', 'a\\x85b'],
    ['right-to-left override', 'evil\u202egnp.exe', 'evil\\u202egnp.exe'],
    ['bidi embedding and pop', '\u202aa\u202c', '\\u202aa\\u202c'],
    ['bidi isolates', '\u2066a\u2069\u2067\u2068', '\\u2066a\\u2069\\u2067\\u2068'],
    ['LRM and RLM', '\u200ea\u200f', '\\u200ea\\u200f'],
    ['Arabic letter mark', 'a\u061cb', 'a\\u061cb'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['zero-width joiner stays (emoji)', '👩\u200d💻', '👩\u200d💻'],
  ])('%s', (_name, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it('is idempotent', () => {
    const s = '\x1b[2J\nx\u202e';
    expect(printable(printable(s))).toBe(printable(s));
  });

  it('printableLines keeps the line breaks it is given and escapes the rest', () => {
    expect(printableLines('keys:\n  a\x1b[2Jb\r')).toBe('keys:\n  a\\x1b[2Jb\\x0d');
  });
});
