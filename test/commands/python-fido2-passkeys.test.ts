import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

const SCRIPT = fileURLToPath(new URL('../python/passkeys.py', import.meta.url));
let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

async function python(mode: 'create' | 'read', device: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, mode, device.split(':')[2]!, '1234']);
  return JSON.parse(stdout);
}

describe('python-fido2 and the CLI agree on passkeys', () => {
  it('python-fido2 makes three, the CLI lists them, deletes one and renames one, python-fido2 sees the result', async () => {
    k = await startKey();
    const made = (await python('create', k.device)) as { rp: string; user: string; credentialId: string }[];
    expect(made).toHaveLength(3);

    const list = await runCli(['credentials', 'list', '--json', '--device', k.device], { env: { FIDO2_PIN: '1234' } });
    expect(list.code, list.stderr).toBe(0);
    const cli = JSON.parse(list.stdout) as { stored: number; rps: { rp: { id: string; name?: string }; credentials: { credentialId: string; user: { name?: string; displayName?: string } }[] }[] };
    expect(cli.stored).toBe(3);
    const seen = cli.rps.flatMap((r) => r.credentials.map((c) => ({ rp: r.rp.id, user: c.user.name, credentialId: c.credentialId })));
    expect(seen.sort((a, b) => a.credentialId.localeCompare(b.credentialId))).toEqual([...made].sort((a, b) => a.credentialId.localeCompare(b.credentialId)));
    expect(cli.rps.find((r) => r.rp.id === 'b.example')!.rp.name).toBe('B.EXAMPLE');

    const bob = made.find((m) => m.user === 'bob')!;
    const del = await runCli(['credentials', 'delete', bob.credentialId, '--yes', '--device', k.device], { env: { FIDO2_PIN: '1234' } });
    expect(del.code, del.stderr).toBe(0);

    const cid = made.find((m) => m.user === 'cid')!;
    const upd = await runCli(['credentials', 'update', cid.credentialId.slice(0, 10), '--name', 'carol', '--device', k.device], { env: { FIDO2_PIN: '1234' } });
    expect(upd.code, upd.stderr).toBe(0);

    expect(await python('read', k.device)).toEqual({
      stored: 2,
      rps: {
        'a.example': made.filter((m) => m.user === 'ann').map(({ credentialId, user }) => ({ credentialId, user })),
        'b.example': [{ credentialId: cid.credentialId, user: 'carol' }],
      },
    });
  });
});
