import { describe, expect, it } from 'vitest';
import type { UvFacts } from '../../src/ctap/uv-prediction.js';
import { type Ceremony, type Choice, type Observed, verdict } from '../../src/demo/verdict.js';
import { describedFacts } from '../../src/demo/facts.js';
import { modelName } from '../../src/demo/model-name.js';

const facts = (f: Partial<UvFacts>): UvFacts => ({ ctap: 'fido-2.1', clientPin: 'unset', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: true, pinUvAuthToken: true, ...f });
const choice = (uv: Choice['userVerification'], passkey = false): Choice => ({ userVerification: uv, passkey, attestation: 'none' });
const ok = (uv: boolean, up = true): Observed => ({ ok: true, up, uv });

describe('demo verdict: observed against the uv-check prediction', () => {
  const cases: Array<[string, UvFacts, Choice, Ceremony, Observed, boolean, RegExp]> = [
    ['touch as predicted', facts({}), choice('discouraged'), 'register', ok(false), true, /^As predicted: touch only/],
    ['PIN asked on discouraged', facts({ clientPin: 'set' }), choice('discouraged'), 'sign-in', ok(true), false, /^The browser asked for a PIN the site did not need\.$/],
    ['UV where none could be', facts({}), choice('preferred'), 'sign-in', ok(true), false, /^The key verified the user although/],
    ['always-UV without UV', facts({ clientPin: 'set', alwaysUv: true }), choice('discouraged'), 'sign-in', ok(false), false, /^Always-UV is on but the key answered without UV\.$/],
    ['required without UV', facts({ clientPin: 'set' }), choice('required'), 'sign-in', ok(false), false, /^The site asked for user verification but the key answered without it\.$/],
    ['passkey on a protected key without UV', facts({ clientPin: 'set' }), choice('discouraged', true), 'register', ok(false), false, /^The key registered without UV, although a passkey/],
    ['predicted failure that failed', facts({ clientPin: 'absent' }), choice('required'), 'register', { ok: false, stage: 'browser', message: 'NotAllowedError: x.' }, true, /^As predicted: fails/],
    ['predicted failure that worked', facts({ clientPin: 'absent' }), choice('required'), 'sign-in', ok(true), false, /^The prediction was that this fails/],
    ['browser failure', facts({}), choice('preferred'), 'register', { ok: false, stage: 'browser', message: 'NotAllowedError: timed out.' }, false, /^The prediction was touch only, UV 0, but the browser reported: NotAllowedError: timed out\.$/],
    ['server refusal', facts({}), choice('preferred'), 'sign-in', { ok: false, stage: 'server', message: 'bad signature' }, false, /^The server refused the response: bad signature\.$/],
    ['no user presence', facts({}), choice('discouraged'), 'sign-in', ok(false, false), false, /UP 0/],
  ];
  it.each(cases)('%s', (_name, f, c, ceremony, o, match, sentence) => {
    const v = verdict(f, c, ceremony, o);
    expect(v.match).toBe(match);
    expect(v.sentence).toMatch(sentence);
  });

  it('uses the passkey row for a passkey registration and the sign-in row for any sign-in', () => {
    expect(verdict(facts({}), choice('discouraged', true), 'register', ok(false)).row).toBe('passkey');
    expect(verdict(facts({}), choice('discouraged', true), 'sign-in', ok(false)).row).toBe('sign-in');
  });
});

describe('demo key description', () => {
  it('refuses a malformed description with the field named', () => {
    expect(describedFacts({ ctap: 'fido-2.1', clientPin: 'maybe', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: true })).toMatch(/^clientPin/);
    expect(describedFacts(null)).toMatch(/missing/);
  });
  it('drops always-UV and makeCredUvNotRqd below CTAP 2.1, as factsFromInfo does', () => {
    expect(describedFacts({ ctap: 'fido-2.0', clientPin: 'set', builtInUv: 'absent', alwaysUv: true, makeCredUvNotRqd: true })).toMatchObject({ alwaysUv: false, makeCredUvNotRqd: false });
  });
  it('names the models of its tiny table, case-insensitively, and no others', () => {
    expect(modelName('EE882879-721C-4913-9775-3DFCCE97072A')).toBe('YubiKey 5 Series');
    expect(modelName('12345678-0000-0000-0000-000000000000')).toBeUndefined();
  });
});
