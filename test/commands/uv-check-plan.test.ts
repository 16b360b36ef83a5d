/** The pure decisions of `uv-check --live`: which requests, how many touches, and what counts as a deviation. */
import { describe, expect, it } from 'vitest';
import { predict, type UvFacts } from '../../src/ctap/uv-prediction.js';
import { checkAll, checkSilent, describeDeviation, type ProbeResult } from '../../src/operations/uv-check/observe.js';
import { planProbes, plainExpectation, type ProbeId } from '../../src/operations/uv-check/plan.js';

const base: UvFacts = { ctap: 'fido-2.1', clientPin: 'unset', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: true, pinUvAuthToken: true };
const f = (over: Partial<UvFacts>): UvFacts => ({ ...base, ...over });

describe('planProbes', () => {
  // [state, facts, includePasskey, probes sent (id:verify), touches, PIN needed, passkey]
  it.each([
    ['no PIN', f({}), false, 'mc-plain:none ga-plain:none ga-silent:none', 2, false, 'not-asked'],
    ['no PIN, passkey asked', f({}), true, 'mc-plain:none ga-plain:none ga-silent:none', 2, false, 'no-pin'],
    ['PIN', f({ clientPin: 'set' }), false, 'mc-plain:none mc-verified:pin-token ga-plain:none ga-verified:pin-token ga-silent:none', 4, true, 'not-asked'],
    // always-UV with PIN only: the plain requests are refused before any touch (§6.1.2 step 6).
    ['PIN + always-UV', f({ clientPin: 'set', alwaysUv: true, makeCredUvNotRqd: false }), false, 'mc-plain:none mc-verified:pin-token ga-plain:none ga-verified:pin-token ga-silent:none', 2, true, 'not-asked'],
    ['PIN, passkey', f({ clientPin: 'set' }), true, 'mc-plain:none mc-verified:pin-token ga-plain:none ga-verified:pin-token ga-silent:none passkey-plain:none passkey-verified:pin-token', 5, true, 'live'],
    ['built-in UV', f({ builtInUv: 'enrolled' }), false, 'mc-plain:none mc-verified:uv-token ga-plain:none ga-verified:uv-token ga-silent:none', 4, false, 'not-asked'],
    // always-UV with a finger: the key verifies plain requests by itself (§6.1.2 step 6.3), one touch each.
    ['built-in UV + always-UV', f({ builtInUv: 'enrolled', alwaysUv: true, makeCredUvNotRqd: false }), false, 'mc-plain:none mc-verified:uv-token ga-plain:none ga-verified:uv-token ga-silent:none', 4, false, 'not-asked'],
    ['2.0 with built-in UV', f({ ctap: 'fido-2.0', builtInUv: 'enrolled', makeCredUvNotRqd: false, pinUvAuthToken: false }), false, 'mc-plain:none mc-verified:uv-option ga-plain:none ga-verified:uv-option ga-silent:none', 3, false, 'not-asked'],
    ['U2F only', f({ ctap: 'u2f-only', clientPin: 'absent' }), true, '', 0, false, 'u2f-only'],
  ] as const)('%s', (_s, facts, includePasskey, probes, touches, needsPin, passkey) => {
    const plan = planProbes(facts, { includePasskey, credentialManagement: true });
    expect(plan.probes.map((p) => `${p.id}:${p.verify}`).join(' ')).toBe(probes);
    expect(plan.touches).toBe(touches);
    expect(plan.needsPin).toBe(needsPin);
    expect(plan.passkey).toBe(passkey);
  });

  it('makes no passkey on a key that could not delete it', () => {
    expect(planProbes(f({ clientPin: 'set', ctap: 'fido-2.0' }), { includePasskey: true, credentialManagement: false }).passkey).toBe('no-credential-management');
  });

  it.each([
    [f({}), 'register', 'touch'],
    [f({ clientPin: 'set' }), 'register', 'touch'],
    [f({ clientPin: 'set' }), 'passkey', 'refused'],
    [f({ clientPin: 'set', makeCredUvNotRqd: false }), 'register', 'refused'],
    [f({ clientPin: 'set', alwaysUv: true }), 'sign-in', 'refused'],
    [f({ builtInUv: 'enrolled', alwaysUv: true }), 'sign-in', 'built-in-uv'],
    [f({ builtInUv: 'enrolled' }), 'passkey', 'refused'],
  ] as const)('a plain request: %o %s -> %s', (facts, row, expected) => {
    expect(plainExpectation(facts, row)).toBe(expected);
  });
});

const result = (id: ProbeId, status: string, up?: boolean, uv?: boolean, verify: ProbeResult['verify'] = 'none'): ProbeResult => ({
  id, verify, status, ...(up === undefined ? {} : { up }), ...(uv === undefined ? {} : { uv }), pinAsked: verify === 'pin-token', uvAsked: false,
});

describe('observing and deviations', () => {
  const pinAlwaysUv = predict(f({ clientPin: 'set', alwaysUv: true, makeCredUvNotRqd: false }));
  const honest = new Map<ProbeId, ProbeResult>([
    ['mc-plain', result('mc-plain', 'CTAP2_ERR_PUAT_REQUIRED')],
    ['mc-verified', result('mc-verified', 'ok', true, true, 'pin-token')],
    ['ga-plain', result('ga-plain', 'CTAP2_ERR_PUAT_REQUIRED')],
    ['ga-verified', result('ga-verified', 'ok', true, true, 'pin-token')],
  ]);

  it('a refusal without UV leads the browser to the PIN: as predicted', () => {
    const checks = checkAll(pinAlwaysUv, honest);
    expect(Object.values(checks).flatMap((r) => Object.values(r)).filter((c) => c.observed.outcome !== 'not-probed').every((c) => c.matches)).toBe(true);
    expect(checks['sign-in'].discouraged.observed).toMatchObject({ outcome: 'pin', uvFlag: true, probes: ['ga-plain', 'ga-verified'] });
  });

  it.each([
    ['sign-in let through under always-UV', 'ga-plain', result('ga-plain', 'ok', true, false), 'sign-in', 'this key lets a sign-in through without PIN or fingerprint although always-UV is on'],
    ['registration let through under always-UV', 'mc-plain', result('mc-plain', 'ok', true, false), 'register', 'this key lets a registration through without PIN or fingerprint although always-UV is on'],
    ['no UV flag after the PIN', 'ga-verified', result('ga-verified', 'ok', true, false, 'pin-token'), 'sign-in', 'this key sends UV 0 on a sign-in where CTAP 2.1 gives UV 1 (discouraged)'],
    ['no UP flag after a touch', 'ga-verified', result('ga-verified', 'ok', false, true, 'pin-token'), 'sign-in', 'this key answers a sign-in without the UP flag although it was touched (discouraged)'],
    ['a verified request refused', 'ga-verified', result('ga-verified', 'CTAP2_ERR_PIN_AUTH_INVALID', undefined, undefined, 'pin-token'), 'sign-in', 'this key refuses a sign-in (CTAP2_ERR_PIN_AUTH_INVALID) that CTAP 2.1 accepts (discouraged)'],
  ] as const)('%s', (_what, id, r, row, message) => {
    const results = new Map(honest);
    results.set(id, r);
    expect(checkAll(pinAlwaysUv, results)[row].discouraged.deviation).toBe(message);
  });

  it('a key asking for the PIN where CTAP 2.1 wants a touch deviates', () => {
    const p = predict(f({ clientPin: 'set' }));
    const o = checkAll(p, new Map<ProbeId, ProbeResult>([['mc-plain', result('mc-plain', 'CTAP2_ERR_PUAT_REQUIRED')], ['mc-verified', result('mc-verified', 'ok', true, true, 'pin-token')]]));
    expect(o.register.discouraged.deviation).toBe('this key asks for the PIN on a registration that CTAP 2.1 lets through with a touch (discouraged)');
    expect(describeDeviation('register', 'preferred', p.cells.register.preferred, o.register.preferred.observed)).toBeUndefined();
  });

  it.each([
    [result('ga-silent', 'ok', false, false), undefined],
    [result('ga-silent', 'ok', true, false), 'this key sets the UP flag on a silent sign-in (up=false)'],
    [result('ga-silent', 'CTAP2_ERR_PUAT_REQUIRED'), 'this key refuses a silent sign-in (up=false, CTAP2_ERR_PUAT_REQUIRED), which CTAP 2.1 answers without a touch'],
  ] as const)('silent sign-in %#', (r, deviation) => {
    expect(checkSilent(r).deviation).toBe(deviation);
  });
});
