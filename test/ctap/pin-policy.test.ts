import { describe, expect, it } from 'vitest';
import { checkCurrentPin, checkNewPin, checkPinChange, controlCharacterIn, surroundingSpaceHint } from '../../src/ctap/pin-policy.js';
import { padPin, pinHash } from '../../src/ctap/client-pin.js';
import { Fido2Error } from '../../src/errors.js';
import { hex } from './helpers.js';

function refusal(pin: string, min: number): Fido2Error {
  try {
    checkNewPin(pin, min);
  } catch (e) {
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Fido2Error).kind).toBe('pin-policy');
    return e as Fido2Error;
  }
  throw new Error('PIN accepted');
}

describe('checkNewPin', () => {
  it('counts code points for the minimum, not bytes or UTF-16 units', () => {
    // "ñü€" is 3 code points but 7 bytes (2 + 2 + 3): refused at minimum 4.
    expect(Buffer.byteLength('ñü€')).toBe(7);
    const e = refusal('ñü€', 4);
    expect(e.message).toBe('The new PIN must be at least 4 characters and at most 63 bytes');
    expect(checkNewPin('ñü€x', 4)).toBe('ñü€x');
    // Four astral characters: 8 UTF-16 units, 16 bytes, 4 code points.
    expect(checkNewPin('😀😀😀😀', 4)).toBe('😀😀😀😀');
    refusal('😀😀😀', 4);
  });

  it('never allows fewer than 4, and honours a higher minimum', () => {
    expect(refusal('123', 0).message).toContain('at least 4 characters');
    expect(refusal('12345', 6).message).toBe('The new PIN must be at least 6 characters and at most 63 bytes');
    expect(checkNewPin('123456', 6)).toBe('123456');
  });

  it('allows 63 bytes and refuses 64', () => {
    expect(checkNewPin('x'.repeat(63), 4)).toHaveLength(63);
    refusal('x'.repeat(64), 4);
    // 21 × "€" = 63 bytes is fine; 21 × "€" + "a" = 64 bytes is not.
    expect(checkNewPin('€'.repeat(21), 4)).toHaveLength(21);
    refusal('€'.repeat(21) + 'a', 4);
  });

  it('normalises to NFC before counting and returns the normalised PIN', () => {
    const decomposed = 'n\u0303u\u0308e\u0301x'; // ñüéx as base letters plus combining marks
    expect(decomposed.length).toBe(7);
    const pin = checkNewPin(decomposed, 4);
    expect(pin).toBe('ñüéx');
    expect(pin.length).toBe(4);
    refusal('n\u0303u\u0308e\u0301', 4); // 3 characters once composed
    expect(hex(pinHash(decomposed))).toBe(hex(pinHash('ñüéx')));
    expect(hex(padPin(decomposed))).toBe(hex(padPin('ñüéx')));
  });

  it('never puts the PIN in the message', () => {
    const e = refusal('s3cr', 8);
    expect(e.message).not.toContain('s3cr');
    expect(refusal('secret-pin-'.repeat(7), 4).message).not.toContain('secret');
  });
});

describe('new PINs nobody could type again', () => {
  it.each([
    ['a newline', '1234\n5678', /control character/],
    ['a tab', '1234\t5678', /control character/],
    ['a carriage return at the end', '12345678\r', /control character/],
    ['an escape', '1234\u001b678', /control character/],
    ['a leading space', ' 12345678', /starts or ends with a space/],
    ['a trailing space', '12345678 ', /starts or ends with a space/],
    ['a trailing no-break space', '12345678\u00a0', /starts or ends with a space/],
  ])('refuses %s with pin-policy and no echo', (_n, pin, why) => {
    const e = refusal(pin, 4);
    expect(e.message).toMatch(why);
    expect(e.message).not.toContain(pin.trim());
  });

  it('takes spaces inside a PIN', () => {
    expect(checkNewPin('correct horse', 4)).toBe('correct horse');
  });
});

describe('a current PIN with a control character is refused before sending (the library too)', () => {
  it.each([
    ['1234\t5678', 'a tab, U+0009'],
    ['12345678\n', 'a line feed (newline), U+000A'],
    ['12345678\r', 'a carriage return, U+000D'],
    ['1234\u001b[D5678', 'an escape character (from an arrow or function key), U+001B'],
    ['1234\u00005678', 'U+0000'],
    ['1234\u00855678', 'U+0085'],
  ])('%j: names %s, never the PIN', (pin, name) => {
    expect(controlCharacterIn(pin)).toBe(name);
    let error: unknown;
    try {
      checkCurrentPin(pin);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'pin-policy' });
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toMatch(/1234|5678/);
  });

  it('takes PINs without one, spaces and non-ASCII included', () => {
    for (const pin of ['12345678', '12 34 56', 'pässwörd']) expect(controlCharacterIn(pin)).toBeUndefined();
    expect(checkCurrentPin('12 34 56')).toBe('12 34 56');
  });
});

describe('checkPinChange', () => {
  it('refuses a new PIN equal to the current one, also when they differ only by normalisation', () => {
    expect(() => checkPinChange('48213579', '48213579', 4)).toThrow(/same as the current one/);
    expect(() => checkPinChange('n\u0303ino', 'ñino', 4)).toThrow(/same as the current one/);
    expect(checkPinChange('48213579', '97531246', 4)).toEqual({ current: '48213579', next: '97531246' });
  });

  it('checks the current PIN first: an impossible one is named as such', () => {
    expect(() => checkPinChange('123', '97531246', 4)).toThrow(/The PIN given has 3 characters/);
  });
});

describe('surroundingSpaceHint', () => {
  it.each([
    ['12345678 ', true],
    ['\t12345678', true],
    ['1234 5678', false],
    ['12345678', false],
    [undefined, false],
  ])('%j → hint %s', (pin, hint) => {
    expect(surroundingSpaceHint(pin) !== '').toBe(hint);
    if (pin) expect(surroundingSpaceHint(pin)).not.toContain(pin.trim());
  });
});
