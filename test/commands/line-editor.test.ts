import { describe, expect, it } from 'vitest';
import { EMPTY_LINE, editLine, type LineEnd } from '../../src/commands/line-editor.js';

/** Feeds the typed bytes (UTF-8, as a terminal sends them) in the given chunks; returns how the line ended. */
function type(...chunks: (string | number[])[]): LineEnd | undefined {
  let state = EMPTY_LINE;
  for (const c of chunks) {
    const text = typeof c === 'string' ? c : Buffer.from(c).toString('utf8');
    const r = editLine(state, text);
    state = r.state;
    if (r.end) return r.end;
  }
  return undefined;
}

const enter = (value: string): LineEnd => ({ kind: 'enter', value });

describe('the hidden prompt edits the line as a terminal would', () => {
  it.each<[string, (string | number[])[], LineEnd | undefined]>([
    ['plain digits and Enter', ['12345678\r'], enter('12345678')],
    ['a newline ends it too', ['1234\n'], enter('1234')],
    ['Ctrl-D ends it', ['1234\u0004'], enter('1234')],
    ['Ctrl-U clears what was typed', ['xxxx\u0015abcd1234\r'], enter('abcd1234')],
    ['Backspace (DEL) deletes one character', ['12345\u007f\r'], enter('1234')],
    ['Ctrl-H deletes one character', ['12345\b\r'], enter('1234')],
    ['Backspace on an empty line does nothing', ['\u007f\u007f1234\r'], enter('1234')],
    ['Backspace deletes a two-byte character whole', [[0x31, 0x32, 0x33, 0x34, 0xc3, 0xa9, 0x7f, 0x0d]], enter('1234')],
    ['Backspace deletes e + combining accent as one character', ['1234e\u0301\u007f\r'], enter('1234')],
    ['Backspace deletes an emoji with a skin tone as one character', ['1234\u{1F44D}\u{1F3FD}\u007f\r'], enter('1234')],
    ['Ctrl-W deletes the last word', ['abcd efgh\u0017ijkl\r'], enter('abcd ijkl')],
    ['Ctrl-W deletes the spaces and then the word', ['abcd efgh  \u0017\r'], enter('abcd ')],
    ['Ctrl-C cancels', ['1234\u0003'], { kind: 'cancel' }],
    ['what follows Enter is not read', ['1234\r5678\r'], enter('1234')],
    ['a left arrow refuses the line', ['1234\u001b[D5678\r'], { kind: 'refused', reason: 'an arrow, function or Alt key' }],
    ['an arrow in application mode (ESC O D) refuses it', ['1234\u001bOD\r'], { kind: 'refused', reason: 'an arrow, function or Alt key' }],
    ['Delete (ESC [ 3 ~) refuses it', ['1234\u001b[3~\r'], { kind: 'refused', reason: 'an arrow, function or Alt key' }],
    ['an arrow split across reads refuses it and adds nothing', ['1234\u001b', '[', 'D\r'], { kind: 'refused', reason: 'an arrow, function or Alt key' }],
    ['a tab refuses it', ['1234\t5678\r'], { kind: 'refused', reason: 'a tab' }],
    ['Ctrl-A (move to start) refuses it', ['1234\u00015\r'], { kind: 'refused', reason: 'Ctrl-A' }],
    ['Ctrl-U after an arrow starts over cleanly', ['12\u001b[D34\u0015abcd1234\r'], enter('abcd1234')],
    ['Ctrl-C right after ESC still cancels', ['12\u001b\u0003'], { kind: 'cancel' }],
  ])('%s', (_name, chunks, expected) => {
    expect(type(...chunks)).toEqual(expected);
  });

  it('keeps a split multi-byte character whole once decoded', () => {
    // The stream decodes UTF-8 (setEncoding), so the editor sees whole characters.
    const { state } = editLine(EMPTY_LINE, '123');
    expect(editLine(state, '\u00e9\r').end).toEqual(enter('123\u00e9'));
  });
});
