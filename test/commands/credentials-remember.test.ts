import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, Platform } from '../sim/platform.js';
import { type KeyUnderTest, runCli } from './harness.js';
import { keyWithPasskeys } from './passkeys.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const TOKEN_BY_PIN = [0x05, 0x09];
const stateDir = (): string => join(mkdtempSync(join(tmpdir(), 'fido2-state-')), 'fido2-manage');

interface Listing {
  keyId?: string;
  fromCache?: boolean;
  listedAt?: string;
  stored: number;
  rps: { rp: { id: string }; credentials: { credentialId: string }[] }[];
}

async function list(dir: string, args: string[] = [], pin?: string): Promise<{ code: number; stderr: string; json?: Listing; pinRequests: number }> {
  const before = k!.clientPinSubCommands.length;
  const r = await runCli(['credentials', 'list', '--json', '--device', k!.device, ...args], { env: { FIDO2_MANAGE_STATE_DIR: dir, ...(pin === undefined ? {} : { FIDO2_PIN: pin }) } });
  const pinRequests = k!.clientPinSubCommands.slice(before).filter((c) => TOKEN_BY_PIN.includes(c)).length;
  return { code: r.code, stderr: r.stderr, pinRequests, ...(r.code === 0 ? { json: JSON.parse(r.stdout) as Listing } : {}) };
}

const count = (l: Listing | undefined): number => l!.rps.reduce((n, r) => n + r.credentials.length, 0);

async function addPasskey(user: string): Promise<void> {
  const host = await CtapHost.open(k!.key);
  const platform = new Platform(host);
  const token = await platform.mustToken('1234', 0x01, 'c.example');
  await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'c.example', userId: new TextEncoder().encode(user), token }));
  host.close();
}

describe('credentials list --remember on a CTAP 2.3 key', () => {
  it('asks for the PIN once, keeps the token in a private file, then lists without a PIN and from the cache', async () => {
    k = (await keyWithPasskeys('fido-2.3')).k;
    const dir = stateDir();
    const first = await list(dir, ['--remember'], '1234');
    expect(first.code, first.stderr).toBe(0);
    expect(first.pinRequests).toBe(1);
    expect(count(first.json)).toBe(3);
    expect(first.json!.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(first.json!.fromCache).toBeUndefined();
    expect(first.stderr).toMatch(new RegExp(`Kept a read-only token for this key \\(key ${first.json!.keyId}\\)`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = join(dir, 'persistent-tokens.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = (JSON.parse(readFileSync(file, 'utf8')) as { keys: { token: string }[] }).keys[0]!.token;
    expect(JSON.stringify(first)).not.toContain(token);

    const second = await list(dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.pinRequests).toBe(0);
    expect(second.json!.fromCache).toBe(true);
    expect(second.json!.keyId).toBe(first.json!.keyId);
    expect(second.json!.rps).toEqual(first.json!.rps);
    expect(JSON.stringify(second)).not.toContain(token);

    // A new passkey changes encCredStoreState: the listing is read again, still without a PIN.
    await addPasskey('u4');
    const third = await list(dir);
    expect(third.code, third.stderr).toBe(0);
    expect(third.pinRequests).toBe(0);
    expect(third.json!.fromCache).toBeUndefined();
    expect(count(third.json)).toBe(4);

    const filtered = await list(dir, ['--rp', 'a.example']);
    expect(filtered.json!.fromCache).toBe(true);
    expect(filtered.json!.rps.map((r) => r.rp.id)).toEqual(['a.example']);
  });

  it('info decrypts encIdentifier and encCredStoreState with the kept token, sending no PIN', async () => {
    k = (await keyWithPasskeys('fido-2.3')).k;
    const dir = stateDir();
    const info = async (json: boolean) => runCli(['info', '--device', k!.device, ...(json ? ['--json'] : [])], { env: { FIDO2_MANAGE_STATE_DIR: dir } });
    const before = JSON.parse((await info(true)).stdout) as { keyId?: string; meanings: Record<string, string> };
    expect(before.keyId).toBeUndefined();
    expect(before.meanings.encIdentifier).toMatch(/^present, encrypted/);
    const first = await list(dir, ['--remember'], '1234');
    const pinRequests = k.clientPinSubCommands.length;
    const known = JSON.parse((await info(true)).stdout) as { keyId?: string; credStoreChanged?: boolean; meanings: Record<string, string> };
    expect(known.keyId).toBe(first.json!.keyId);
    expect(known.credStoreChanged).toBe(false);
    expect(known.meanings.encCredStoreState).toMatch(/^passkeys unchanged since the listing of /);
    expect((await info(false)).stdout).toContain(`key ${first.json!.keyId} (decrypted with the token remembered for this key`);
    // Reading them needed no token request: getPINRetries at most.
    expect(k.clientPinSubCommands.slice(pinRequests).filter((c) => TOKEN_BY_PIN.includes(c))).toEqual([]);
    await addPasskey('u5');
    const changed = JSON.parse((await info(true)).stdout) as { credStoreChanged?: boolean; meanings: Record<string, string> };
    expect(changed.credStoreChanged).toBe(true);
    expect(changed.meanings.encCredStoreState).toMatch(/^passkeys changed since the listing of /);
  });

  it('after change-pin, drops the token with one line and falls back to the PIN', async () => {
    k = (await keyWithPasskeys('fido-2.3')).k;
    const dir = stateDir();
    expect((await list(dir, ['--remember'], '1234')).code).toBe(0);
    const changed = await runCli(['change-pin', '--device', k.device], { env: { FIDO2_PIN: '1234', FIDO2_NEW_PIN: '5678' } });
    expect(changed.code, changed.stderr).toBe(0);

    const after = await list(dir, [], '5678');
    expect(after.code, after.stderr).toBe(0);
    expect(after.pinRequests).toBe(1);
    expect(count(after.json)).toBe(3);
    expect(after.stderr.trim().split('\n')).toEqual([expect.stringMatching(/no longer accepts the token remembered for it/)]);
    expect(existsSync(join(dir, 'persistent-tokens.json'))).toBe(false);

    // Dropped: the next listing without a PIN source needs one.
    const noPin = await list(dir);
    expect(noPin.code).toBe(9);
    expect(noPin.stderr).not.toMatch(/no longer accepts/);
  });

  it('forget drops the token: the next listing needs the PIN', async () => {
    k = (await keyWithPasskeys('fido-2.3')).k;
    const dir = stateDir();
    expect((await list(dir, ['--remember'], '1234')).code).toBe(0);
    const forget = await runCli(['credentials', 'forget', '--json', '--device', k.device], { env: { FIDO2_MANAGE_STATE_DIR: dir } });
    expect(forget.code, forget.stderr).toBe(0);
    expect(JSON.parse(forget.stdout)).toMatchObject({ ok: true, command: 'credentials forget', forgotten: true });
    expect((await list(dir)).code).toBe(9);
  });

  it('refuses a state directory others can read, before any PIN is sent', async () => {
    k = (await keyWithPasskeys('fido-2.3')).k;
    const dir = stateDir();
    expect((await list(dir, ['--remember'], '1234')).code).toBe(0);
    chmodSync(dir, 0o755);
    const r = await list(dir, ['--remember'], '1234');
    expect(r.code).toBe(2);
    expect(r.pinRequests).toBe(0);
    expect(r.stderr).toMatch(/can be read or written by others/);
    // A plain listing does not fail for it: the token is not used, the PIN is.
    const plain = await list(dir, [], '1234');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.pinRequests).toBe(1);
    expect(plain.stderr).toMatch(/can be read or written by others.*Using the PIN\./);
  });
});

describe('reset of a key with a remembered token', () => {
  it('recognises the same key after the replug by its identity, resets it and forgets the dead token', async () => {
    k = (await keyWithPasskeys('fido-2.3')).k;
    const dir = stateDir();
    expect((await list(dir, ['--remember'], '1234')).code).toBe(0);
    let asked = false;
    const r = await runCli(['reset', '--yes', '--device', k.device], {
      env: { FIDO2_MANAGE_STATE_DIR: dir },
      onStderr: (text) => {
        if (asked || !/Restart the software key/.test(text)) return;
        asked = true;
        void k!.unplug().then(() => setTimeout(() => void k!.plugIn(), 300));
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(k.key.snapshot().pin).toBeUndefined();
    expect(existsSync(join(dir, 'persistent-tokens.json'))).toBe(false);
  });
});

describe('credentials list --remember on a key without perCredMgmtRO', () => {
  it('keeps the PIN flow: one line, nothing kept', async () => {
    k = (await keyWithPasskeys('fido-2.1')).k;
    const dir = stateDir();
    const r = await list(dir, ['--remember'], '1234');
    expect(r.code, r.stderr).toBe(0);
    expect(count(r.json)).toBe(3);
    expect(r.json!.keyId).toBeUndefined();
    expect(r.stderr).toMatch(/cannot keep a persistent read-only token/);
    expect(existsSync(dir)).toBe(false);
  });
});
