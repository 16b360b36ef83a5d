import { afterEach, describe, expect, it } from 'vitest';
import { openKey, type Fido2Key } from '../../src/index.js';
import { withKeyLock } from '../../src/fleet/key-lock.js';
import { selectorLock } from '../../src/fleet/selector-lock.js';
import { type KeyUnderTest, startKeyWithPin } from '../commands/harness.js';

describe("the library's Fido2Key takes the same cross-process lock as the CLI", () => {
  let k: KeyUnderTest | undefined;
  let key: Fido2Key | undefined;
  afterEach(async () => {
    await key?.close();
    await k?.close();
    key = undefined;
    k = undefined;
  });

  it('names a tcp: key by its resolved address, like the CLI', async () => {
    const a = await selectorLock('tcp:localhost:4711');
    const b = await selectorLock('tcp:127.0.0.1:4711');
    expect(a.lockId).toBeDefined();
    expect(a.lockId).toBe(b.lockId);
    expect((await selectorLock('sim')).lockId).toBeUndefined();
  });

  it('waits for a holder of the lock and gives up with key-busy, sending nothing', async () => {
    k = await startKeyWithPin('1234');
    key = await openKey(k.device, { lockTimeoutMs: 300 });
    const { lockId } = await selectorLock(k.device);
    const before = k.ctapCommands.length;
    await withKeyLock(lockId!, { timeoutMs: 1000 }, async () => {
      await expect(key!.setAlwaysUv(true, '1234')).rejects.toMatchObject({ kind: 'transport', reason: 'key-busy' });
    });
    expect(k.ctapCommands.slice(before)).toEqual([]);
    // Free again: the same call goes through.
    expect((await key.setAlwaysUv(true, '1234')).changed).toBe(true);
  });
});
