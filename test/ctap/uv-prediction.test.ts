/**
 * The prediction table, one line per key state. Cells are written
 * discouraged / preferred / required, each as what is asked and the UV flag:
 * T0 touch only (UV 0), P1 PIN (UV 1), F1 fingerprint (UV 1), S1 the browser
 * asks to set a PIN first (UV 1 after), X the request fails.
 */
import { describe, expect, it } from 'vitest';
import { cellReason, cellText, COLUMNS, factsFromInfo, predict, ROWS, type Cell, type UvFacts } from '../../src/ctap/uv-prediction.js';
import type { AuthenticatorInfo } from '../../src/ctap/get-info.js';

const code = (c: Cell): string => ({ touch: 'T', pin: 'P', fingerprint: 'F', 'set-pin': 'S', fails: 'X' })[c.ask] + (c.uvFlag === null ? '' : c.uvFlag ? '1' : '0');

const base: UvFacts = { ctap: 'fido-2.1', clientPin: 'unset', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: true, pinUvAuthToken: true };
const f = (over: Partial<UvFacts>): UvFacts => ({ ...base, ...over });

// [state, facts, register, passkey, sign-in, notes]
const TABLE: [string, UvFacts, string, string, string, string[]][] = [
  // WebAuthn: preferred asks nothing on an unprotected key; required makes the browser set a PIN (CTAP 2.1 §6.5.5.5).
  ['2.1, no PIN', f({}), 'T0 T0 S1', 'T0 T0 S1', 'T0 T0 S1', ['no-pin']],
  // §6.1.2 step 7: a passkey on a protected key needs UV even when discouraged; step 10 lets the rest through.
  ['2.1, PIN', f({ clientPin: 'set' }), 'T0 P1 P1', 'P1 P1 P1', 'T0 P1 P1', ['passkey-on-protected-key']],
  // §6.1.2 step 6 and §6.2.2 step 5: always-UV refuses every request without UV.
  ['2.1, PIN + always-UV', f({ clientPin: 'set', alwaysUv: true, makeCredUvNotRqd: false }), 'P1 P1 P1', 'P1 P1 P1', 'P1 P1 P1', ['always-uv', 'always-uv-windows', 'passkey-on-protected-key']],
  ['2.1, built-in UV', f({ builtInUv: 'enrolled' }), 'T0 F1 F1', 'F1 F1 F1', 'T0 F1 F1', ['passkey-on-protected-key', 'fingerprint']],
  ['2.1, built-in UV + always-UV', f({ builtInUv: 'enrolled', alwaysUv: true, makeCredUvNotRqd: false }), 'F1 F1 F1', 'F1 F1 F1', 'F1 F1 F1', ['always-uv', 'always-uv-windows', 'passkey-on-protected-key', 'fingerprint']],
  ['2.1, built-in UV and PIN', f({ builtInUv: 'enrolled', clientPin: 'set' }), 'T0 F1 F1', 'F1 F1 F1', 'T0 F1 F1', ['passkey-on-protected-key', 'fingerprint']],
  // §6.1.2 step 8: makeCredUvNotRqd off makes every registration on a protected key need UV.
  ['2.1, PIN, makeCredUvNotRqd off', f({ clientPin: 'set', makeCredUvNotRqd: false }), 'P1 P1 P1', 'P1 P1 P1', 'T0 P1 P1', ['make-cred-uv-not-rqd-off', 'passkey-on-protected-key']],
  ['2.1, no PIN, makeCredUvNotRqd off', f({ makeCredUvNotRqd: false }), 'T0 T0 S1', 'T0 T0 S1', 'T0 T0 S1', ['no-pin', 'make-cred-uv-not-rqd-off']],
  // §6.1.2 step 6.2: always-UV on a key without a PIN is refused with PUAT_REQUIRED; the browser sets a PIN first.
  ['2.1, always-UV without PIN', f({ alwaysUv: true, makeCredUvNotRqd: false }), 'S1 S1 S1', 'S1 S1 S1', 'S1 S1 S1', ['always-uv', 'always-uv-windows', 'no-pin-always-uv']],
  ['2.1, sensor without a finger, no PIN', f({ builtInUv: 'not-enrolled' }), 'T0 T0 S1', 'T0 T0 S1', 'T0 T0 S1', ['no-pin', 'fingerprint-not-enrolled']],
  // CTAP 2.0 §5.1 step 6 / 2.1 §6.1.2 step 8 (no makeCredUvNotRqd): registration needs the PIN once set.
  ['2.1-PRE, PIN', f({ ctap: 'fido-2.1-pre', clientPin: 'set', makeCredUvNotRqd: false, pinUvAuthToken: false }), 'P1 P1 P1', 'P1 P1 P1', 'T0 P1 P1', ['pre-2.1', 'passkey-on-protected-key']],
  ['2.0, no PIN', f({ ctap: 'fido-2.0', makeCredUvNotRqd: false, pinUvAuthToken: false }), 'T0 T0 S1', 'T0 T0 S1', 'T0 T0 S1', ['pre-2.1', 'no-pin']],
  ['2.0, PIN', f({ ctap: 'fido-2.0', clientPin: 'set', makeCredUvNotRqd: false, pinUvAuthToken: false }), 'P1 P1 P1', 'P1 P1 P1', 'T0 P1 P1', ['pre-2.1', 'passkey-on-protected-key']],
  // Built-in UV without pinUvAuthToken: the browser sends the uv option (§6.1.2 step 11, CTAP 2.0 style).
  ['2.0, built-in UV', f({ ctap: 'fido-2.0', builtInUv: 'enrolled', makeCredUvNotRqd: false, pinUvAuthToken: false }), 'F1 F1 F1', 'F1 F1 F1', 'T0 F1 F1', ['pre-2.1', 'passkey-on-protected-key', 'fingerprint']],
  ['CTAP2 without PIN support', f({ clientPin: 'absent', pinUvAuthToken: false }), 'T0 T0 X', 'T0 T0 X', 'T0 T0 X', ['no-pin-support']],
  ['U2F only', f({ ctap: 'u2f-only', clientPin: 'absent', makeCredUvNotRqd: false, pinUvAuthToken: false }), 'T0 T0 X', 'X X X', 'T0 T0 X', ['u2f-only']],
];

describe('uv prediction (WebAuthn L2 §5.8.6 userVerification, CTAP 2.1 §6.1.2 / §6.2.2)', () => {
  it.each(TABLE)('%s', (_state, facts, register, passkey, signIn, notes) => {
    const p = predict(facts);
    const line = (r: (typeof ROWS)[number]) => COLUMNS.map((c) => code(p.cells[r][c])).join(' ');
    expect({ register: line('register'), passkey: line('passkey'), signIn: line('sign-in') }).toEqual({ register, passkey, signIn });
    expect(p.notes).toEqual(notes);
  });

  it('says why each verifying cell verifies', () => {
    const always = predict(f({ clientPin: 'set', alwaysUv: true, makeCredUvNotRqd: false }));
    expect(always.cells['sign-in'].discouraged.why).toBe('always-uv');
    expect(always.cells['sign-in'].required.why).toBe('site-asks');
    const pin = predict(f({ clientPin: 'set', makeCredUvNotRqd: false }));
    expect(pin.cells.register.discouraged.why).toBe('make-cred-uv-not-rqd-off');
    expect(pin.cells.passkey.discouraged.why).toBe('passkey-on-protected-key');
    expect(predict(f({ clientPin: 'set' })).cells.passkey.discouraged.why).toBe('passkey-on-protected-key');
    expect(predict(f({ clientPin: 'absent' })).cells.register.required.why).toBe('cannot-verify');
  });

  it('offers the PIN as fallback only when one is set', () => {
    expect(cellText(predict(f({ builtInUv: 'enrolled', clientPin: 'set' })).cells['sign-in'].required)).toBe('fingerprint or PIN, UV 1');
    expect(cellText(predict(f({ builtInUv: 'enrolled' })).cells['sign-in'].required)).toBe('fingerprint, UV 1');
    expect(cellText(predict(f({})).cells['sign-in'].required)).toBe('set a PIN first, UV 1');
    expect(cellText(predict(f({ ctap: 'u2f-only', clientPin: 'absent' })).cells.passkey.discouraged)).toBe('fails: U2F only');
  });

  it.each([
    [f({}), 'register', 'required', 'the key has no PIN: a browser asks to set one first, because the site asks for user verification'],
    [f({ clientPin: 'absent' }), 'sign-in', 'required', 'fails: this key cannot verify users: it has no PIN support and no fingerprint enrolled'],
    [f({ ctap: 'u2f-only', clientPin: 'absent' }), 'passkey', 'preferred', 'fails: this key speaks only U2F and cannot store passkeys'],
    [f({ clientPin: 'set', alwaysUv: true }), 'sign-in', 'discouraged', 'the PIN, because always-UV is on'],
    [f({ clientPin: 'set', builtInUv: 'enrolled' }), 'passkey', 'discouraged', 'the fingerprint, or the PIN as fallback, because a passkey on a key with a PIN or fingerprint needs it'],
    [f({ clientPin: 'set' }), 'register', 'discouraged', 'touch only: neither the site nor the key asks for user verification'],
  ] as const)('words each cell: %o %s/%s', (facts, row, column, text) => {
    expect(cellReason(predict(facts).cells[row][column], row)).toBe(text);
  });

  const info = (versions: string[], options: Record<string, boolean>): AuthenticatorInfo =>
    ({ versions, options, aaguid: '', aaguidBytes: new Uint8Array(16) }) as AuthenticatorInfo;

  it.each([
    ['FIDO_2_1 with every option', info(['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'], { clientPin: true, uv: true, alwaysUv: true, makeCredUvNotRqd: false, pinUvAuthToken: true }),
      { ctap: 'fido-2.1', clientPin: 'set', builtInUv: 'enrolled', alwaysUv: true, makeCredUvNotRqd: false, pinUvAuthToken: true }],
    ['FIDO_2_1 fresh', info(['FIDO_2_0', 'FIDO_2_1'], { clientPin: false, makeCredUvNotRqd: true, pinUvAuthToken: true, alwaysUv: false }),
      { ctap: 'fido-2.1', clientPin: 'unset', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: true, pinUvAuthToken: true }],
    // alwaysUv only means something on FIDO_2_1 keys; a 2.1-PRE key listing it is not trusted to act on it.
    ['FIDO_2_1_PRE listing alwaysUv', info(['FIDO_2_0', 'FIDO_2_1_PRE'], { clientPin: true, uv: false, alwaysUv: true }),
      { ctap: 'fido-2.1-pre', clientPin: 'set', builtInUv: 'not-enrolled', alwaysUv: false, makeCredUvNotRqd: false, pinUvAuthToken: false }],
    ['FIDO_2_0 without clientPin', info(['U2F_V2', 'FIDO_2_0'], {}),
      { ctap: 'fido-2.0', clientPin: 'absent', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: false, pinUvAuthToken: false }],
  ])('reads the facts from getInfo: %s', (_what, i, facts) => {
    expect(factsFromInfo(i)).toEqual(facts);
  });

  it('reads a key without CTAP2 as U2F only', () => {
    expect(factsFromInfo(undefined)).toMatchObject({ ctap: 'u2f-only', clientPin: 'absent' });
  });
});
