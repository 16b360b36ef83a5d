import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileName } from '../../src/sim/virtual-key.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, Platform } from '../sim/platform.js';
import { type KeyUnderTest, runCli, startKey } from './harness.js';
import { b64, keyWithPasskeys as makeKey } from './passkeys.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const PIN = { FIDO2_PIN: '1234' };

async function keyWithPasskeys(profile: ProfileName): Promise<{ ids: string[] }> {
  const made = await makeKey(profile);
  k = made.k;
  return made;
}

async function listJson(protocol: string): Promise<{ command: string; ctapCommand: number; stored: number; remaining: number; rps: { rp: { id: string }; credentials: { credentialId: string; user: { id: string; name?: string; displayName?: string } }[] }[] }> {
  const r = await runCli(['credentials', 'list', '--json', '--device', k!.device, '--pin-protocol', protocol], { env: PIN });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const ids = (l: Awaited<ReturnType<typeof listJson>>): string[] => l.rps.flatMap((r) => r.credentials.map((c) => c.credentialId)).sort();

describe.each([
  ['fido-2.1', '1', 0x0a],
  ['fido-2.1', '2', 0x0a],
  ['fido-2.1-pre', '1', 0x41],
  ['fido-2.1-pre', '2', 0x41],
] as const)('credentials on a %s key, PIN protocol %s', (profile, protocol, command) => {
  it('lists, deletes by unique prefix and reads back', async () => {
    const made = await keyWithPasskeys(profile);
    const seen = k!.ctapCommands.length;
    const before = await listJson(protocol);
    expect(before.command).toBe('credentials list');
    expect(before.ctapCommand).toBe(command);
    // The whole listing: getPINRetries before the PIN is sent, one key agreement and one token (three clientPIN requests), then only credential management.
    const listing = k!.ctapCommands.slice(seen);
    expect(listing.filter((c) => c === 0x06)).toHaveLength(3);
    expect(listing.filter((c) => c !== 0x06 && c !== 0x04 && c !== command)).toEqual([]);
    // getCredsMetadata, enumerateRPsBegin, GetNextRP, 2 x enumerateCredentialsBegin, 1 x GetNextCredential.
    expect(listing.filter((c) => c === command)).toHaveLength(6);
    expect(before.stored).toBe(3);
    expect(before.rps.map((r) => r.rp.id).sort()).toEqual(['a.example', 'b.example']);
    expect(ids(before)).toEqual([...made.ids].sort());
    expect(k!.ctapCommands.filter((c) => c === command).length).toBeGreaterThan(0);

    const text = await runCli(['credentials', 'list', '--device', k!.device, '--pin-protocol', protocol], { env: PIN });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^3 passkeys stored; room for up to \d+ more\./);
    expect(text.stdout).toContain('a.example');
    expect(text.stdout).toContain('alice (Alice)');
    expect(text.stdout).toContain('"u3"');

    const target = made.ids[1]!;
    const del = await runCli(['credentials', 'delete', target.slice(0, 12), '--yes', '--json', '--device', k!.device, '--pin-protocol', protocol], { env: PIN });
    expect(del.code, del.stderr).toBe(0);
    const out = JSON.parse(del.stdout);
    expect(out).toMatchObject({ ok: true, deleted: { credentialId: target, rp: { id: 'a.example' } }, before: { stored: 3 }, after: { stored: 2 } });
    expect(ids(await listJson(protocol))).toEqual([made.ids[0]!, made.ids[2]!].sort());
  });

  it('renames on 0x0A and refuses on the 0x41 preview, keeping the user id', async () => {
    const made = await keyWithPasskeys(profile);
    const r = await runCli(['credentials', 'update', made.ids[2]!, '--name', 'carol', '--json', '--device', k!.device, '--pin-protocol', protocol], { env: PIN });
    const cred = (await listJson(protocol)).rps.flatMap((x) => x.credentials).find((c) => c.credentialId === made.ids[2]);
    if (command === 0x0a) {
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, before: { user: { name: 'alice' } }, after: { user: { name: 'carol', displayName: 'Alice' } } });
      expect(cred!.user).toEqual({ id: b64(utf8('u3')), idText: 'u3', name: 'carol', displayName: 'Alice' });
    } else {
      expect(r.code).toBe(5);
      expect(cred!.user).toEqual({ id: b64(utf8('u3')), idText: 'u3', name: 'alice', displayName: 'Alice' });
    }
  });
});

describe('credentials: refusals', () => {
  it('an unknown and an ambiguous prefix are refused with different reasons, and nothing is deleted', async () => {
    const made = await keyWithPasskeys('fido-2.1');
    const unknown = await runCli(['credentials', 'delete', 'zzzzzzzzzzzzzzzzzz', '--yes', '--json', '--device', k!.device], { env: PIN });
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.reason).toBe('credential-unknown');
    // The shortest start two of the ids share (the virtual key's ids begin with a version byte).
    let prefix = '';
    for (let n = 1; n < 20 && !prefix; n++) {
      const counts = new Map<string, number>();
      for (const id of made.ids) counts.set(id.slice(0, n), (counts.get(id.slice(0, n)) ?? 0) + 1);
      prefix = [...counts].find(([, c]) => c > 1)?.[0] ?? '';
    }
    expect(prefix).not.toBe('');
    const amb = await runCli(['credentials', 'delete', prefix, '--yes', '--json', '--device', k!.device], { env: PIN });
    expect(amb.code).toBe(2);
    expect(JSON.parse(amb.stdout).error.reason).toBe('credential-ambiguous');
    const syntax = await runCli(['credentials', 'delete', 'not*base64', '--yes', '--json', '--device', k!.device], { env: PIN });
    expect(JSON.parse(syntax.stdout).error.reason).toBe('credential-id-syntax');
    expect(ids(await listJson('2'))).toEqual([...made.ids].sort());
  });

  it('without a terminal, delete needs --yes and asks for no PIN', async () => {
    const made = await keyWithPasskeys('fido-2.1');
    const seen = k!.ctapCommands.length;
    const r = await runCli(['credentials', 'delete', made.ids[0]!, '--device', k!.device], { env: PIN });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(k!.ctapCommands.length).toBe(seen);
    expect((await listJson('2')).stored).toBe(3);
  });

  it('an empty key says so', async () => {
    k = await startKey();
    const host = await CtapHost.open(k.key);
    expect(await new Platform(host).setPin('1234')).toBe(0);
    host.close();
    const r = await runCli(['credentials', 'list', '--device', k.device], { env: PIN });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0 passkeys stored; room for up to \d+ more\.\nThere are no passkeys on this key\./);
  });

  it('--rp shows one site only', async () => {
    await keyWithPasskeys('fido-2.1');
    const r = await runCli(['credentials', 'list', '--rp', 'b.example', '--json', '--device', k!.device], { env: PIN });
    expect(JSON.parse(r.stdout).rps.map((x: { rp: { id: string } }) => x.rp.id)).toEqual(['b.example']);
  });

  it.each(['fido-2.0', 'u2f-only'] as const)('a %s key gets exit 5 with one line', async (profile) => {
    k = await startKey({ profile });
    const r = await runCli(['credentials', 'list', '--device', k.device], { env: PIN });
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no credential management/);
  });
});

describe('credentials: marks, PIN and confirmation', () => {
  it('marks credProtect, and a large blob key when the key makes one', async () => {
    k = await startKey();
    const host = await CtapHost.open(k.key);
    const extensions = ((await host.ok(CTAP.getInfo)).get(2) ?? []) as string[];
    const blobs = extensions.includes('largeBlobKey');
    const ext = new Map<string, boolean | number>([['credProtect', 3], ...(blobs ? [['largeBlobKey', true] as [string, boolean]] : [])]);
    await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'blob.example', userId: utf8('b1'), extensions: ext }));
    expect(await new Platform(host).setPin('1234')).toBe(0);
    host.close();
    const text = await runCli(['credentials', 'list', '--device', k.device], { env: PIN });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`ES256, credProtect 3 (UV required)${blobs ? ', large blob' : '\n'}`);
    const json = JSON.parse((await runCli(['credentials', 'list', '--json', '--device', k.device], { env: PIN })).stdout);
    expect(json.rps[0].credentials[0]).toMatchObject({ credProtect: 3, largeBlobKey: blobs });
    // Whether there is a large blob key is shown; the key itself never is.
    expect(JSON.stringify(json)).not.toMatch(/"largeBlobKey":\s*"/);
  });

  it('--uv lists with a token from built-in user verification, no PIN', async () => {
    k = await startKey({ uv: true });
    const host = await CtapHost.open(k.key);
    await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, uv: true, rpId: 'uv.example', userId: utf8('v1') }));
    expect(await new Platform(host).setPin('1234')).toBe(0);
    host.close();
    const r = await runCli(['credentials', 'list', '--uv', '--json', '--device', k.device]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stored: 1, rps: [{ rp: { id: 'uv.example' } }] });
  });

  it('a key without a PIN gets exit 9 and is not changed', async () => {
    k = await startKey();
    const r = await runCli(['credentials', 'list', '--device', k.device], { env: PIN });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/set-pin/);
  });

  it('a wrong PIN is not retried and nothing is deleted', async () => {
    const made = await keyWithPasskeys('fido-2.1');
    const r = await runCli(['credentials', 'delete', made.ids[0]!, '--yes', '--device', k!.device], { env: { FIDO2_PIN: '9999' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/7 attempts left/);
    expect((await listJson('2')).stored).toBe(3);
  });

  it('on a terminal, delete names the site and the user and deletes only after yes', async () => {
    const made = await keyWithPasskeys('fido-2.1');
    // script(1) gives the CLI a terminal; the answer comes through it.
    const bin = new URL('../../bin/fido2-manage.js', import.meta.url).pathname;
    const cmd = (answer: string) => `printf '${answer}\\n' | script -qec "FIDO2_PIN=1234 ${process.execPath} ${bin} credentials delete ${made.ids[2]!.slice(0, 10)} --device ${k!.device}" /dev/null`;
    const no = await shell(cmd('n'));
    expect(no.out).toMatch(/Delete the passkey of alice \(Alice\) for b\.example/);
    expect(no.code).toBe(130);
    expect((await listJson('2')).stored).toBe(3);
    const yes = await shell(cmd('y'));
    expect(yes.code, yes.out).toBe(0);
    expect(yes.out).toMatch(/Deleted the passkey of alice \(Alice\) for b\.example/);
    expect(ids(await listJson('2'))).toEqual([made.ids[0]!, made.ids[1]!].sort());
  });
});

function shell(command: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, out: stdout + stderr }));
  });
}

describe('credentials update refuses an empty name before anything is sent', () => {
  it.each([['--name'], ['--display-name']])('%s "" is a usage error; the key still holds the old names', async (flag) => {
    const made = await keyWithPasskeys('fido-2.1');
    const seen = k!.ctapCommands.length;
    const r = await runCli(['credentials', 'update', made.ids[2]!, flag, '', '--json', '--device', k!.device], { env: PIN });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', reason: 'empty-name' } });
    expect(r.stderr).toMatch(new RegExp(`${flag} is empty`));
    expect(k!.ctapCommands.length).toBe(seen);
    const cred = (await listJson('2')).rps.flatMap((x) => x.credentials).find((c) => c.credentialId === made.ids[2]);
    expect(cred!.user).toMatchObject({ name: 'alice', displayName: 'Alice' });
  });
});
