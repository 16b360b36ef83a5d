import { describe, expect, it } from 'vitest';
import { LEGACY_WORDS, rewriteLegacyArgs } from '../../src/commands/compat.js';
import { Fido2Error } from '../../src/errors.js';
import { runCli, startKey } from './harness.js';

const usageError = (args: string[]): Fido2Error => {
  try {
    rewriteLegacyArgs(args, (o) => ['--device', '-d', '--pin', '--timeout'].includes(o));
  } catch (e) {
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Fido2Error).kind).toBe('usage');
    expect((e as Fido2Error).message).not.toContain('\n');
    return e as Fido2Error;
  }
  throw new Error(`${args.join(' ')} was accepted`);
};

describe("Token2 fido2-manage's single-dash vocabulary", () => {
  it.each([
    [['-list'], ['list']],
    [['-info', '-device', 'sim'], ['info', '--device', 'sim']],
    [['-uvs', '-device', '1', '-pin', '1234'], ['uvs', '--device', '1', '--pin', '1234']],
    [['-uvd'], ['uvd']],
    [['-device', '2', '-setMinimumPIN', '8'], ['min-pin-length', '--device', '2', '8']],
    [['-setMinimumPIN', '8', '-device', '2'], ['min-pin-length', '8', '--device', '2']],
    [['-setPIN', '-pin', '1234'], ['set-pin', '--pin', '1234']],
    [['-changePIN', '-pin', '1234', '-newpin', '5678'], ['change-pin', '--pin', '1234', '--new-pin', '5678']],
    [['-reset', '-device', '1'], ['reset', '--device', '1']],
    [['-forcePINchange'], ['force-pin-change']],
    [['-residentKeys', '-domain', 'a.example', '-device', '1'], ['credentials', 'list', '--rp', 'a.example', '--device', '1']],
    [['-storage'], ['credentials', 'list', '--summary']],
    [['-fingerprint', '-fingerprintname', 'ring', '-device', '1'], ['fingerprints', 'add', '--name', 'ring', '--device', '1']],
    [['-fingerprintlist'], ['fingerprints', 'list']],
    [['-renamefingerprint', '0a1b', 'thumb'], ['fingerprints', 'rename', '0a1b', 'thumb']],
    [['-deletefingerprint', '0a1b'], ['fingerprints', 'delete', '0a1b']],
    [['-delete', '-credential', 'AbCd', '-device', '1'], ['credentials', 'delete', 'AbCd', '--device', '1']],
    [['-help'], ['--help']],
    [['-uvs', '-help'], ['uvs', '--help']],
    // PIN values that look like words are values, not words.
    [['-uvs', '-pin', '-Secret1'], ['uvs', '--pin', '-Secret1']],
    [['uvs', '--pin', '-Secret1'], ['uvs', '--pin', '-Secret1']],
  ])('%j -> %j', (legacy, modern) => {
    expect(rewriteLegacyArgs(legacy, (o) => o === '--pin')).toEqual(modern);
  });

  it('leaves modern arguments alone', () => {
    expect(rewriteLegacyArgs(['uvs', '--device', '1', '--json', '-d', '2', '-v'])).toEqual(['uvs', '--device', '1', '--json', '-d', '2', '-v']);
  });

  it.each(['-frob', '-devices', '-dv', '-Info', '-Delete'])('%s, a word it does not know, is an error naming it', (word) => {
    const e = usageError(['info', word, '-device', '1']);
    expect(e.message).toMatch(new RegExp(`^(Unknown option ${word}:|${word} is not supported yet)`));
  });

  it('suggests the word with the right case', () => {
    expect(usageError(['-setpin']).message).toMatch(/^Unknown option -setpin: did you mean -setPIN\?/);
  });

  it('refuses two commands and a missing value', () => {
    expect(usageError(['-uvs', '-uvd']).message).toBe('-uvs and -uvd are two commands; give one per run.');
    expect(usageError(['-setMinimumPIN']).message).toMatch(/-setMinimumPIN needs a value/);
    expect(usageError(['-info', '-device']).message).toMatch(/-device needs a value/);
  });

  it('is one table: every word maps to a command, an option, or a feature still to come', () => {
    for (const [word, entry] of Object.entries(LEGACY_WORDS)) {
      expect(word).toMatch(/^-[A-Za-z]+$/);
      expect('command' in entry || 'option' in entry || 'argument' in entry || 'notYet' in entry).toBe(true);
    }
  });
});

describe('legacy words end to end', () => {
  it('-delete without -credential is refused before anything reaches the key, never read as -d elete', async () => {
    const k = await startKey();
    try {
      const r = await runCli(['-delete', '-device', k.device, '--json']);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage' } });
      expect(r.stderr).not.toMatch(/-d elete|option '-d'/);
      expect(k.hidCommands).toEqual([]);
    } finally {
      await k.close();
    }
  });

  it('runs a Token2-style script line against a served key', async () => {
    const k = await startKey();
    try {
      expect((await runCli(['-setPIN', '-device', k.device, '-pin', '48213579'])).code).toBe(0);
      const r = await runCli(['-uvs', '-device', k.device, '-pin', '48213579', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, alwaysUv: true });
      const change = await runCli(['-changePIN', '-device', k.device, '-pin', '48213579', '-newpin', '97531246']);
      expect(change.code, change.stderr).toBe(0);
      expect((await runCli(['-setMinimumPIN', '8', '-device', k.device, '-pin', '97531246', '--yes'])).code).toBe(0);
      expect(k.key.snapshot().alwaysUv).toBe(true);
      const unknown = await runCli(['-frob', '-device', k.device]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^fido2-manage: Unknown option -frob: /);
    } finally {
      await k.close();
    }
  });
});
