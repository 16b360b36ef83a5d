import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyToTargets } from '../../src/fleet/apply-many.js';
import { KeyIdClaims, identifier, withIdentityLock } from '../../src/fleet/identity-lock.js';
import { lockPathFor } from '../../src/fleet/key-lock.js';
import { TokenStore } from '../../src/operations/token-store.js';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { type KeyUnderTest, runCli, startKeyWithPin } from '../commands/harness.js';
import { existsSync } from 'node:fs';
import type { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapError } from '../../src/ctap/errors.js';

describe('KeyIdClaims', () => {
  it('answers the first claimant for a keyId taken before, nothing for a new one', () => {
    const c = new KeyIdClaims();
    expect(c.claim('aa', 'usb')).toBeUndefined();
    expect(c.claim('bb', 'nfc')).toBeUndefined();
    expect(c.claim('aa', 'ccid')).toBe('usb');
    expect(c.claim('aa', 'other')).toBe('usb');
  });
});

describe('identifier', () => {
  const kept = { load: async () => [{ keyId: '0123456789abcdef', hint: 'h', protocol: 2, token: 'AAAA', rememberedAt: 'now' }] } as unknown as TokenStore;
  it('sends nothing when no token is kept', async () => {
    let asked = 0;
    const ctap = { getInfo: async () => (asked++, Promise.reject(new Error('not to be asked'))) } as unknown as Ctap2;
    expect(await identifier({ load: async () => [] } as unknown as TokenStore)(ctap)).toBeUndefined();
    expect(asked).toBe(0);
  });
  it('a key without getInfo (U2F only) has no identity, and the command goes on', async () => {
    const ctap = { getInfo: async () => Promise.reject(new CtapError(0x01)) } as unknown as Ctap2;
    expect(await identifier(kept)(ctap)).toBeUndefined();
  });
});

describe('withIdentityLock', () => {
  it('holds the key:<keyId> lock file while running, and none without a keyId', async () => {
    const path = lockPathFor('key:0123456789abcdef');
    let during = false;
    await withIdentityLock('0123456789abcdef', { timeoutMs: 1000 }, async () => {
      during = existsSync(path);
    });
    expect(during).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(await withIdentityLock(undefined, { timeoutMs: 1000 }, async () => 7)).toBe(7);
  });
});

describe('one CTAP 2.3 key reached by two selectors (its own identity, from a remembered token)', () => {
  let k: KeyUnderTest | undefined;
  let second: SimServer | undefined;
  afterEach(async () => {
    await second?.close();
    await k?.close();
    k = undefined;
    second = undefined;
  });

  it('apply works on it once; the other target says it is the same key, and both carry its keyId', async () => {
    k = await startKeyWithPin('1234', { profile: 'fido-2.3' });
    // The same virtual key on a second port: two ways in, as USB and CCID are for a real key.
    second = await startSimServer(k.key, { host: '127.0.0.1', port: 0 });
    const other = `tcp:127.0.0.1:${second.port}`;
    const dir = join(mkdtempSync(join(tmpdir(), 'identity-lock-')), 'state');
    const remembered = await runCli(['credentials', 'list', '--remember', '--device', k.device], { env: { FIDO2_MANAGE_STATE_DIR: dir, FIDO2_PIN: '1234' } });
    expect(remembered.code, remembered.stderr).toBe(0);
    const targets = [k.device, other].map((selector, i) => ({ selector, label: selector, number: i + 1, id: selector }));
    const before = k.ctapCommands.length;
    const results = await applyToTargets(targets, { alwaysUv: true }, { pinsFor: () => ({ current: '1234' }), identify: identifier(new TokenStore(dir)), jobs: 2 });
    expect(results.every((r) => r.ok)).toBe(true);
    const [a, b] = results.map((r) => r.value!);
    expect(a!.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(b!.keyId).toBe(a!.keyId);
    const worked = [a!, b!].filter((v) => v.sameKeyAs === undefined);
    const skipped = [a!, b!].filter((v) => v.sameKeyAs !== undefined);
    expect(worked).toHaveLength(1);
    expect(worked[0]!.changed).toBe(true);
    expect(skipped).toHaveLength(1);
    expect([k.device, other]).toContain(skipped[0]!.sameKeyAs);
    expect(skipped[0]!.steps).toEqual([]);
    // One authenticatorConfig toggle reached the key, not two.
    expect(k.ctapCommands.slice(before).filter((c) => c === 0x0d)).toHaveLength(1);
    expect(k.key.snapshot().alwaysUv).toBe(true);
  });

  it('a single-key command reaching the key by another way in waits for the run that holds its identity lock', async () => {
    k = await startKeyWithPin('1234', { profile: 'fido-2.3' });
    second = await startSimServer(k.key, { host: '127.0.0.1', port: 0 });
    const dir = join(mkdtempSync(join(tmpdir(), 'identity-lock-')), 'state');
    const env = { FIDO2_MANAGE_STATE_DIR: dir, FIDO2_PIN: '1234' };
    expect((await runCli(['credentials', 'list', '--remember', '--json', '--device', k.device], { env })).code).toBe(0);
    const keyId = (JSON.parse((await runCli(['credentials', 'list', '--json', '--device', k.device], { env })).stdout) as { keyId: string }).keyId;
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    const before = k.ctapCommands.length;
    const r = await withIdentityLock(keyId, { timeoutMs: 5000 }, () => runCli(['uvs', '--timeout', '1', '--device', `tcp:127.0.0.1:${second!.port}`], { env }));
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/kept the key busy/);
    expect(k.ctapCommands.slice(before).filter((c) => c === 0x0d)).toEqual([]);
    expect(k.key.snapshot().alwaysUv).toBe(false);
  });

  it('without a kept token, the same two selectors are two keys', async () => {
    k = await startKeyWithPin('1234', { profile: 'fido-2.3' });
    second = await startSimServer(k.key, { host: '127.0.0.1', port: 0 });
    const dir = join(mkdtempSync(join(tmpdir(), 'identity-lock-')), 'empty');
    const targets = [k.device, `tcp:127.0.0.1:${second.port}`].map((selector, i) => ({ selector, label: selector, number: i + 1, id: selector }));
    const results = await applyToTargets(targets, { alwaysUv: true }, { pinsFor: () => ({ current: '1234' }), identify: identifier(new TokenStore(dir)), jobs: 1 });
    expect(results.map((r) => r.value?.sameKeyAs)).toEqual([undefined, undefined]);
    expect(results.map((r) => r.value?.keyId)).toEqual([undefined, undefined]);
  });
});
