import { describe, expect, it } from 'vitest';
import { Fido2Error } from '../../src/errors.js';
import { type KeyState, planPolicy } from '../../src/operations/settings-plan.js';
import { parsePolicy, validatePolicy } from '../../src/fleet/policy.js';
import { unconfirmed } from '../../src/operations/settings.js';

describe('policy validation', () => {
  const bad: Array<[string, unknown, string]> = [
    ['not an object', [1], 'JSON object'],
    ['unknown top field', { pin: true, alwaysUV: true }, '"alwaysUV"'],
    ['wrong type pin', { pin: 'yes' }, '"pin"'],
    ['wrong type alwaysUv', { alwaysUv: 1 }, '"alwaysUv"'],
    ['false enterpriseAttestation', { enterpriseAttestation: false }, '"enterpriseAttestation"'],
    ['minPinLength a number', { minPinLength: 8 }, '"minPinLength"'],
    ['length too small', { minPinLength: { length: 3 } }, '"minPinLength.length"'],
    ['length not whole', { minPinLength: { length: 6.5 } }, '"minPinLength.length"'],
    ['length missing', { minPinLength: { rpIds: [] } }, '"minPinLength.length"'],
    ['unknown nested field', { minPinLength: { length: 8, rpid: ['a'] } }, '"minPinLength.rpid"'],
    ['rpIds not strings', { minPinLength: { length: 8, rpIds: [1] } }, '"minPinLength.rpIds"'],
    ['forceChange wrong type', { minPinLength: { length: 8, forceChange: 'no' } }, '"minPinLength.forceChange"'],
  ];
  it.each(bad)('%s is a usage error naming the field', (_name, doc, field) => {
    let err: unknown;
    try {
      validatePolicy(doc);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Fido2Error);
    expect((err as Fido2Error).kind).toBe('usage');
    expect((err as Fido2Error).message).toContain(field);
  });

  it('accepts the full policy and keeps only what it declares', () => {
    expect(validatePolicy({ pin: true, minPinLength: { length: 8, rpIds: ['example.com'], forceChange: false }, alwaysUv: false, enterpriseAttestation: true, forcePinChange: true })).toEqual({
      pin: true,
      minPinLength: { length: 8, rpIds: ['example.com'], forceChange: false },
      alwaysUv: false,
      enterpriseAttestation: true,
      forcePinChange: true,
    });
    expect(validatePolicy({})).toEqual({});
  });

  it('reports JSON syntax errors as usage errors', () => {
    expect(() => parsePolicy('{"pin": tru}')).toThrow(/not valid JSON/);
  });
});

const fresh21: KeyState = {
  versions: ['FIDO_2_0', 'FIDO_2_1'],
  aaguid: 'x',
  pinSet: false,
  minPinLength: 4,
  forcePinChange: false,
  alwaysUv: false,
  enterpriseAttestation: false,
  config: true,
  setMinPinLength: true,
  maxRpIdsForMinPinLength: 1,
  uv: false,
};
const pre: KeyState = { ...fresh21, versions: ['FIDO_2_0', 'FIDO_2_1_PRE'], config: false, alwaysUv: undefined, enterpriseAttestation: undefined, setMinPinLength: false };
const full = { pin: true, minPinLength: { length: 8 }, alwaysUv: true, enterpriseAttestation: true, forcePinChange: true } as const;

describe('plan', () => {
  const cases: Array<[string, object, KeyState, string[] | string, boolean?]> = [
    ['fresh key, full policy: every step in the safe order', full, fresh21, ['set-pin', 'min-pin-length', 'enterprise-attestation', 'always-uv', 'force-pin-change'], true],
    ['key already compliant: nothing', full, { ...fresh21, pinSet: true, minPinLength: 8, alwaysUv: true, enterpriseAttestation: true, forcePinChange: true }, [], false],
    ['PIN set already: no set-pin', { pin: true, alwaysUv: true }, { ...fresh21, pinSet: true }, ['always-uv'], true],
    ['unprotected key, always-UV only: no token needed', { alwaysUv: true }, fresh21, ['always-uv'], false],
    ['unprotected key, min length only: no token', { minPinLength: { length: 6 } }, fresh21, ['min-pin-length'], false],
    ['always-UV off on a key that has it on', { alwaysUv: false }, { ...fresh21, pinSet: true, alwaysUv: true }, ['always-uv'], true],
    ['equal min length: nothing', { minPinLength: { length: 4 } }, fresh21, [], false],
    ['minPinLength.forceChange goes last as force-pin-change', { pin: true, minPinLength: { length: 6, forceChange: true }, alwaysUv: true }, fresh21, ['set-pin', 'min-pin-length', 'always-uv', 'force-pin-change'], true],
    ['2.1-PRE key: PIN alone is fine', { pin: true }, pre, ['set-pin'], false],
    ['2.1-PRE key cannot do always-UV', { alwaysUv: true }, pre, 'unsupported:no-config'],
    ['2.1 key without alwaysUv option', { alwaysUv: true }, { ...fresh21, alwaysUv: undefined }, 'unsupported:no-always-uv'],
    ['no ep option', { enterpriseAttestation: true }, { ...fresh21, enterpriseAttestation: undefined }, 'unsupported:no-enterprise-attestation'],
    ['minimum below the key current one', { minPinLength: { length: 6 } }, { ...fresh21, minPinLength: 8 }, 'pin-policy:min-below-current'],
    ['too many rpIds', { minPinLength: { length: 6, rpIds: ['a', 'b'] } }, fresh21, 'unsupported:too-many-rp-ids'],
    ['no PIN support', { pin: true }, { ...fresh21, pinSet: undefined }, 'unsupported:no-pin-support'],
    ['force change without a PIN', { forcePinChange: true }, fresh21, 'pin-required:no-pin'],
    ['pending forced change blocks config', { alwaysUv: true }, { ...fresh21, pinSet: true, forcePinChange: true }, 'pin-policy:pin-change-pending'],
    ['a key with always-UV on needs a token for other changes', { minPinLength: { length: 6 } }, { ...fresh21, alwaysUv: true }, ['min-pin-length'], true],
  ];
  it.each(cases)('%s', (_name, policy, state, expected, needsToken) => {
    const plan = planPolicy(validatePolicy(policy), state);
    if (typeof expected === 'string') {
      expect(plan.ok).toBe(false);
      if (!plan.ok) expect(`${plan.kind}:${plan.reason}`).toBe(expected);
    } else {
      expect(plan.ok).toBe(true);
      if (plan.ok) {
        expect(plan.steps.map((s) => s.op)).toEqual(expected);
        expect(plan.needsToken).toBe(needsToken);
      }
    }
  });

  it('carries the lengths and rpIds of the change', () => {
    const plan = planPolicy({ minPinLength: { length: 9, rpIds: ['example.com'] } }, { ...fresh21, minPinLength: 6 });
    expect(plan).toEqual({ ok: true, needsToken: false, steps: [{ op: 'min-pin-length', from: 6, to: 9, rpIds: ['example.com'] }] });
  });
});

describe('read-back check', () => {
  const after: KeyState = { ...fresh21, pinSet: true, minPinLength: 8, alwaysUv: true };
  it.each<[string, Parameters<typeof unconfirmed>[0], string[]]>([
    ['all confirmed', [{ op: 'set-pin' }, { op: 'min-pin-length', from: 4, to: 8 }, { op: 'always-uv', to: true }], []],
    ['length not taken', [{ op: 'min-pin-length', from: 4, to: 10 }], ['minimum PIN length 10 (reads 8)']],
    ['always-UV off asked, still on', [{ op: 'always-uv', to: false }], ['always-UV off']],
    ['ep and force not reported', [{ op: 'enterprise-attestation' }, { op: 'force-pin-change' }], ['enterprise attestation', 'force PIN change']],
  ])('%s', (_n, steps, expected) => {
    expect(unconfirmed(steps, after)).toEqual(expected);
  });
});
