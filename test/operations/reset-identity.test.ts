import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { openDevice } from '../../src/devices/discovery.js';
import { resetIdentity, sameKeyId } from '../../src/operations/reset-identity.js';
import { TokenStore } from '../../src/operations/token-store.js';
import { type KeyUnderTest, runCli, startKeyWithPin } from '../commands/harness.js';

describe('sameKeyId', () => {
  it.each([
    [undefined, undefined, true],
    [undefined, 'b', true],
    ['a', 'a', true],
    ['a', 'b', false],
    ['a', undefined, false],
  ] as const)('before %s, after %s: %s', (before, after, same) => {
    expect(sameKeyId(before, after)).toBe(same);
  });
});

describe('reset identity hook against two 2.3 virtual keys', () => {
  const keys: KeyUnderTest[] = [];
  afterEach(async () => {
    await Promise.all(keys.splice(0).map((k) => k.close()));
  });

  it('refuses a different key after the replug and accepts the same one', async () => {
    const a = await startKeyWithPin('1234', { profile: 'fido-2.3' });
    const b = await startKeyWithPin('1234', { profile: 'fido-2.3' });
    keys.push(a, b);
    const dir = join(mkdtempSync(join(tmpdir(), 'reset-identity-')), 's');
    const r = await runCli(['credentials', 'list', '--remember', '--device', a.device], { env: { FIDO2_MANAGE_STATE_DIR: dir, FIDO2_PIN: '1234' } });
    expect(r.code, r.stderr).toBe(0);
    const infoOf = async (k: KeyUnderTest) => {
      const d = await openDevice(k.device);
      try {
        return await new Ctap2(d).getInfo();
      } finally {
        await d.close();
      }
    };
    const hook = resetIdentity(new TokenStore(dir));
    await hook.noteBefore(() => openDevice(a.device));
    await expect(hook.check(await infoOf(b))).rejects.toMatchObject({ kind: 'wrong-key' });
    await expect(hook.check(await infoOf(a))).resolves.toBeUndefined();
    // Without a kept token nothing is known, so nothing is refused.
    const none = resetIdentity(new TokenStore(join(dir, 'empty')));
    await none.noteBefore(() => openDevice(a.device));
    await expect(none.check(await infoOf(b))).resolves.toBeUndefined();
  });
});
