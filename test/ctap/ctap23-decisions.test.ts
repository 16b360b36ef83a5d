/** Issue 22: each CTAP 2.2/2.3 decision the client takes from getInfo, table by table. */
import { describe, expect, it } from 'vitest';
import { buildSetMinPinLengthParams, configCommandName } from '../../src/ctap/authenticator-config.js';
import { isCtap21OrLater } from '../../src/ctap/get-info.js';
import { checkNewPin } from '../../src/ctap/pin-policy.js';
import { describePinRules } from '../../src/ctap/pin-rules.js';
import { resetTouchText, resetTransportCheck } from '../../src/ctap/reset-rules.js';
import { touchMethod } from '../../src/ctap/touch.js';
import { ctapLevel } from '../../src/ctap/uv-prediction.js';
import { configCommandRefusal, keyStateFromInfo, planPolicy, type Policy } from '../../src/operations/settings-plan.js';
import { validatePolicy } from '../../src/fleet/policy.js';
import { Fido2Error } from '../../src/errors.js';
import { baseInfo } from './helpers.js';

describe('versions: FIDO_2_2 and FIDO_2_3 include FIDO_2_1', () => {
  it.each([
    [['FIDO_2_3'], true, 'selection', 'fido-2.1'],
    [['FIDO_2_2'], true, 'selection', 'fido-2.1'],
    [['FIDO_2_0', 'FIDO_2_1'], true, 'selection', 'fido-2.1'],
    [['FIDO_2_0', 'FIDO_2_1_PRE'], false, 'make-credential-probe', 'fido-2.1-pre'],
    [['FIDO_2_0'], false, 'make-credential-probe', 'fido-2.0'],
    [['U2F_V2'], false, undefined, 'u2f-only'],
  ] as const)('%j: 2.1 or later %s, touch by %s, uv-check level %s', (versions, later, touch, level) => {
    expect(isCtap21OrLater(versions)).toBe(later);
    expect(touchMethod(baseInfo({ versions: [...versions] }))).toBe(touch);
    expect(ctapLevel(versions)).toBe(level);
  });

  it('a FIDO_2_3-only key with authnrCfg can be configured (apply plans always-UV)', () => {
    const state = keyStateFromInfo(baseInfo({ versions: ['FIDO_2_3'], options: { clientPin: true, authnrCfg: true, alwaysUv: false } }));
    expect(planPolicy({ alwaysUv: true }, state)).toMatchObject({ ok: true, steps: [{ op: 'always-uv', to: true }] });
  });
});

describe('authenticatorConfigCommands gate the subcommands sent', () => {
  const info = (cmds: number[] | undefined, options: Record<string, boolean> = {}) =>
    keyStateFromInfo(baseInfo({ versions: ['FIDO_2_3'], options: { clientPin: true, authnrCfg: true, alwaysUv: false, ep: false, setMinPINLength: true, ...options }, pinComplexityPolicy: false, longTouchForReset: false, ...(cmds ? { authenticatorConfigCommands: cmds } : {}) }));
  it.each<[string, Policy, number[] | undefined, string | undefined]>([
    ['always-UV listed', { alwaysUv: true }, [2], undefined],
    ['always-UV not listed', { alwaysUv: true }, [1, 3], 'toggleAlwaysUv (0x02)'],
    ['enterprise attestation not listed', { enterpriseAttestation: true }, [2, 3], 'enableEnterpriseAttestation (0x01)'],
    ['min PIN length not listed', { minPinLength: { length: 8 } }, [2], 'setMinPINLength (0x03)'],
    ['long touch not listed', { longTouchForReset: true }, [1, 2, 3], 'enableLongTouchForReset (0x04)'],
    ['long touch listed', { longTouchForReset: true }, [4], undefined],
    ['no list: judged by options', { alwaysUv: true }, undefined, undefined],
  ])('%s', (_name, policy, cmds, refused) => {
    const plan = planPolicy(policy, info(cmds));
    if (refused === undefined) expect(plan.ok).toBe(true);
    else expect(plan).toMatchObject({ ok: false, kind: 'unsupported', reason: 'config-command-not-offered', message: expect.stringContaining(refused) });
  });
  it('names the subcommands the key offers', () => {
    expect(configCommandRefusal({ configCommands: [1, 0x20] }, 2)).toBe('this key does not offer the authenticatorConfig subcommand toggleAlwaysUv (0x02) (its authenticatorConfigCommands: enableEnterpriseAttestation (0x01), 0x20)');
    expect(configCommandName(0xff)).toBe('vendorPrototype (0xff)');
  });
});

describe('PIN complexity and long touch for reset as settings', () => {
  const state = (extra: Record<string, unknown>) =>
    keyStateFromInfo(baseInfo({ versions: ['FIDO_2_3'], options: { clientPin: true, authnrCfg: true, setMinPINLength: true }, minPINLength: 4, ...extra }));
  it.each<[string, Policy, Record<string, unknown>, unknown]>([
    ['complexity off -> on', { minPinLength: { length: 4, complexity: true } }, { pinComplexityPolicy: false }, { ok: true, steps: [{ op: 'pin-complexity' }] }],
    ['complexity already on', { minPinLength: { length: 4, complexity: true } }, { pinComplexityPolicy: true }, { ok: true, steps: [] }],
    ['no complexity member', { minPinLength: { length: 4, complexity: true } }, {}, { ok: false, reason: 'no-pin-complexity-policy' }],
    ['raise and complexity', { minPinLength: { length: 8, complexity: true } }, { pinComplexityPolicy: false }, { ok: true, steps: [{ op: 'min-pin-length', to: 8 }, { op: 'pin-complexity' }] }],
    ['long touch off -> on', { longTouchForReset: true }, { longTouchForReset: false }, { ok: true, steps: [{ op: 'long-touch-reset' }] }],
    ['long touch already on', { longTouchForReset: true }, { longTouchForReset: true }, { ok: true, steps: [] }],
    ['no long touch member', { longTouchForReset: true }, {}, { ok: false, reason: 'no-long-touch-reset' }],
  ])('%s', (_n, policy, extra, expected) => {
    expect(planPolicy(policy, state(extra))).toMatchObject(expected as object);
  });
  it('SetMinPINLength carries pinComplexityPolicy as member 0x04', () => {
    expect(buildSetMinPinLengthParams({ pinComplexityPolicy: true })).toEqual(new Map([[0x04, true]]));
  });
  it.each([
    [{ longTouchForReset: true }, { longTouchForReset: true }],
    [{ minPinLength: { length: 6, complexity: true } }, { minPinLength: { length: 6, complexity: true } }],
  ])('policy file %j', (doc, policy) => expect(validatePolicy(doc)).toEqual(policy));
  it.each([{ longTouchForReset: false }, { minPinLength: { length: 6, complexity: false } }])('policy file %j is refused', (doc) => {
    expect(() => validatePolicy(doc)).toThrow(/can only be true/);
  });
});

describe('new PINs against maxPINLength', () => {
  const refused = (pin: string, min: number, max?: number): string | undefined => {
    try {
      checkNewPin(pin, min, max);
      return undefined;
    } catch (e) {
      return (e as Fido2Error).message;
    }
  };
  it.each([
    ['12345678', 4, 8, undefined],
    ['123456789', 4, 8, 'The new PIN must be at least 4 characters and at most 8 characters (this key\'s maximum) and 63 bytes'],
    ['ééééééééé', 4, 8, expect.stringContaining('at most 8 characters')], // 9 code points, 18 bytes
    ['éééééééé', 4, 8, undefined], // 8 code points counted, not 16 bytes
    ['123456789', 4, undefined, undefined],
  ])('%s (min %i, max %s)', (pin, min, max, message) => {
    expect(refused(pin, min, max)).toEqual(message);
  });
  it.each([
    [{ minPINLength: 6, maxPINLength: 31, pinComplexityPolicy: true, pinComplexityPolicyURL: 'https://example.com/pin' }, "at least 6 characters, at most 31 characters (and 63 bytes), the key's PIN complexity policy is on (its rules: https://example.com/pin)"],
    [{ minPINLength: 4, maxPINLength: 31, pinComplexityPolicy: false }, 'at least 4 characters, at most 31 characters (and 63 bytes), no PIN complexity policy is on'],
    [{}, 'at least 4 characters, at most 63 bytes'],
  ])('the rules of %j', (facts, text) => expect(describePinRules(facts)).toBe(text));
});

describe('reset over a transport and with a long touch', () => {
  it.each([
    [undefined, 'usb', true],
    [['usb'], 'usb', true],
    [['nfc'], 'usb', false],
    [[], 'usb', false],
  ] as const)('transportsForReset %j over %s: ok %s', (allowed, transport, ok) => {
    const check = resetTransportCheck(allowed === undefined ? {} : { transportsForReset: [...allowed] }, transport);
    expect(check.ok).toBe(ok);
    if (!check.ok && allowed?.length) expect(check.message).toContain(`only over ${allowed.join(', ')}, not over usb`);
  });
  it.each([
    [true, 'press and hold the key for about 5 seconds when it blinks'],
    [false, 'touch it when it blinks'],
    [undefined, 'touch it when it blinks'],
  ])('longTouchForReset %s', (long, text) => expect(resetTouchText(long === undefined ? {} : { longTouchForReset: long })).toBe(text));
});
