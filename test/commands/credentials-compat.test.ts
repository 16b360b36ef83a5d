import { afterEach, describe, expect, it } from 'vitest';
import { rewriteLegacyArgs } from '../../src/commands/compat.js';
import { type KeyUnderTest, runCli } from './harness.js';
import { keyWithPasskeys } from './passkeys.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe('fido2-manage passkey flags', () => {
  it.each([
    [['-residentKeys', '-device', '1', '-pin', '1234'], ['credentials', 'list', '--device', '1', '--pin', '1234']],
    [['-residentKeys', '-domain', 'a.example', '-device', '1'], ['credentials', 'list', '--rp', 'a.example', '--device', '1']],
    [['-storage', '-device', '1', '-pin', '1234'], ['credentials', 'list', '--summary', '--device', '1', '--pin', '1234']],
    [['-delete', '-credential', 'AbC+/d==', '-device', '1', '-pin', '1234'], ['credentials', 'delete', 'AbC+/d==', '--device', '1', '--pin', '1234']],
  ])('%j -> %j', (legacy, modern) => expect(rewriteLegacyArgs(legacy)).toEqual(modern));

  it('lists, selects a domain, counts and deletes on a served key', async () => {
    const made = await keyWithPasskeys();
    k = made.k;
    const dev = ['-device', k.device, '-pin', '1234'];
    const all = await runCli(['-residentKeys', ...dev]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^3 passkeys stored/);
    expect(all.stdout).toContain('b.example');
    const one = await runCli(['-residentKeys', '-domain', 'a.example', ...dev, '--json']);
    expect(JSON.parse(one.stdout).rps.map((r: { rp: { id: string } }) => r.rp.id)).toEqual(['a.example']);
    const storage = await runCli(['-storage', ...dev]);
    expect(storage.code, storage.stderr).toBe(0);
    expect(storage.stdout).toMatch(/^3 passkeys stored; room for up to \d+ more\.\n$/);
    // Token2's script prints standard base64 ids; they are taken as they are.
    const std = Buffer.from(made.ids[2]!, 'base64url').toString('base64');
    const del = await runCli(['-delete', '-credential', std, ...dev, '--yes']);
    expect(del.code, del.stderr).toBe(0);
    const after = JSON.parse((await runCli(['-storage', ...dev, '--json'])).stdout);
    expect(after).toMatchObject({ ok: true, stored: 2 });
  });
});
