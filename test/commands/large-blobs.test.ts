import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { stateFromJson, stateToJson } from '../../src/sim/state.js';
import type { ProfileName } from '../../src/sim/virtual-key.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, PERM, Platform } from '../sim/platform.js';
import { type CliResult, type KeyUnderTest, runCli, startKey } from './harness.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const PIN = { FIDO2_PIN: '1234' };
const LARGE_BLOBS = 0x0c;
const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PTY = fileURLToPath(new URL('../helpers/pty_run.py', import.meta.url));

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

interface Passkey {
  id: string;
  name: string;
}

/**
 * A served key with three passkeys made through the key's own CTAP interface (test/sim, not
 * src/ctap): alice (a.example) and bob (b.example) with a largeBlobKey, carol (c.example)
 * without; then PIN 1234. Returns them and the key's maxSerializedLargeBlobArray.
 */
async function keyWithPasskeys(profile: ProfileName = 'fido-2.1', largeBlobMax?: number): Promise<{ alice: Passkey; bob: Passkey; carol: Passkey; limit: number }> {
  k = await startKey({ profile, ...(largeBlobMax === undefined ? {} : { largeBlobMax }) });
  const host = await CtapHost.open(k.key);
  const make = async (rpId: string, name: string, largeBlobKey: boolean): Promise<Passkey> => {
    const params = makeCredentialParams({ rk: true, rpId, userId: utf8(`${name}-id`), ...(largeBlobKey ? { extensions: { largeBlobKey: true } } : {}) });
    params.set(3, { id: utf8(`${name}-id`), name });
    const reply = await host.ok(CTAP.makeCredential, params);
    // makeCredential returns the largeBlobKey as member 0x05 when asked for it (CTAP 2.1 §6.1).
    expect(reply.get(5) instanceof Uint8Array, `largeBlobKey for ${name}`).toBe(largeBlobKey);
    return { id: b64(parseMakeCredential(reply).credentialId), name };
  };
  const alice = await make('a.example', 'alice', true);
  const bob = await make('b.example', 'bob', true);
  const carol = await make('c.example', 'carol', false);
  const info = await host.ok(CTAP.getInfo);
  expect(await new Platform(host).setPin('1234')).toBe(0);
  host.close();
  return { alice, bob, carol, limit: info.get(0x0b) as number };
}

function blobs(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  return runCli(['large-blobs', ...args, '--device', k!.device], { env: PIN, ...opts });
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'large-blobs-'));

function file(bytes: Uint8Array | string): string {
  const path = join(tmp(), 'data.bin');
  writeFileSync(path, bytes);
  return path;
}

interface ListJson {
  ok: boolean;
  device: string;
  usedBytes: number;
  maxSerializedLargeBlobArray: number;
  damage?: string;
  entries: { index: number; status: string; storedBytes: number; dataBytes?: number; credential?: { credentialId: string; rp: string; user: { name?: string } } }[];
}

async function listJson(): Promise<ListJson> {
  const r = await blobs(['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListJson;
}

const owners = (l: ListJson): (string | undefined)[] => l.entries.map((e) => (e.status === 'owned' ? e.credential!.user.name : e.status));

describe('large-blobs on the virtual key', () => {
  it('a fresh key holds no large blobs', async () => {
    await keyWithPasskeys();
    const l = await listJson();
    expect(l).toMatchObject({ ok: true, device: k!.device, usedBytes: 17, entries: [] });
    const text = await blobs(['list']);
    expect(text.stdout).toBe(`No large blobs stored (17 of ${l.maxSerializedLargeBlobArray} bytes used).\n`);
    const info = await runCli(['info', '--device', k!.device]);
    expect(info.stdout).toContain(`Large-blob storage:       ${l.maxSerializedLargeBlobArray} bytes (see \`large-blobs list\`)`);
  });

  it('set, then get to stdout and to a file, list names the owner; one PIN entry per command', async () => {
    const { alice, limit } = await keyWithPasskeys();
    const data = `-----BEGIN CERTIFICATE-----\n${'MIIB'.repeat(200)}\n-----END CERTIFICATE-----\n`;
    const seen = k!.ctapCommands.length;
    const set = await blobs(['set', '--credential', alice.id.slice(0, 10), file(data)]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`^Stored ${data.length} bytes for alice at a\\.example; read back from the key: 1 large blob, \\d+ of ${limit} bytes used\\.\\n$`));
    // getPINRetries, key agreement, one token for cm and lbw together.
    expect(k!.ctapCommands.slice(seen).filter((c) => c === CTAP.clientPin)).toHaveLength(3);

    const out = await blobs(['get', '--credential', alice.id]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(data);

    const dir = tmp();
    const toFile = await blobs(['get', '--credential', alice.id, '-o', join(dir, 'cert.pem')]);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(toFile.stdout).toBe(`Wrote the ${data.length}-byte large blob of alice at a.example to ${join(dir, 'cert.pem')}.\n`);
    expect(readFileSync(join(dir, 'cert.pem'), 'utf8')).toBe(data);
    expect(statSync(join(dir, 'cert.pem')).mode & 0o777).toBe(0o600);

    const json = await blobs(['get', '--credential', alice.id, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, device: k!.device, command: 'large-blobs get', credential: { credentialId: alice.id, rp: 'a.example', user: { name: 'alice' } }, dataBytes: data.length, data: Buffer.from(data).toString('base64') });
    const unwritable = await blobs(['get', '--credential', alice.id, '-o', join(dir, 'no', 'such', 'dir.pem')]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/Cannot write .*dir\.pem \(ENOENT\)/);

    const l = await listJson();
    expect(owners(l)).toEqual(['alice']);
    expect(l.entries[0]).toMatchObject({ dataBytes: data.length, credential: { credentialId: alice.id, rp: 'a.example' } });
    // DEFLATE: a repetitive certificate takes far less room than its text.
    expect(l.entries[0]!.storedBytes).toBeLessThan(data.length / 4);
  });

  it('get into a reader that stops early (| head -c 10) ends quietly', async () => {
    const { alice } = await keyWithPasskeys();
    // 200 kB of one letter: more than a pipe holds, a few hundred bytes once compressed.
    expect((await blobs(['set', '--credential', alice.id, file('a'.repeat(200_000))])).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'large-blobs', 'get', '--credential', alice.id, '--device', k!.device], { env: { ...process.env, ...PIN }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The reader is gone before the data comes: the write meets a closed pipe (EPIPE).
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('set replaces the entry of the same passkey and keeps the others; --json has before and after', async () => {
    const { alice, bob } = await keyWithPasskeys();
    expect((await blobs(['set', '--credential', alice.id, file('first')])).code).toBe(0);
    expect((await blobs(['set', '--credential', bob.id, file('bob data')])).code).toBe(0);
    const r = await blobs(['set', '--credential', alice.id, '--json', '-'], { stdin: 'second, from stdin' });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { ok: boolean; replaced: number; dataBytes: number; before: ListJson; after: ListJson };
    expect(j).toMatchObject({ ok: true, device: k!.device, replaced: 1, dataBytes: 18, credential: { credentialId: alice.id } });
    expect(owners(j.before)).toEqual(['alice', 'bob']);
    expect(owners(j.after)).toEqual(['bob', 'alice']);
    expect((await blobs(['get', '--credential', alice.id])).stdout).toBe('second, from stdin');
    expect((await blobs(['get', '--credential', bob.id])).stdout).toBe('bob data');
  });

  it('two sets started together on one key both land: the key lock keeps their read-modify-write apart', async () => {
    const { alice, bob } = await keyWithPasskeys();
    const [a, b] = await Promise.all([blobs(['set', '--credential', alice.id, file('from run A')]), blobs(['set', '--credential', bob.id, file('from run B')])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(owners(await listJson()).sort()).toEqual(['alice', 'bob']);
    expect((await blobs(['get', '--credential', bob.id])).stdout).toBe('from run B');
  });

  it('delete asks for --yes without a terminal, then removes only that entry and reads back', async () => {
    const { alice, bob } = await keyWithPasskeys();
    await blobs(['set', '--credential', alice.id, file('alice')]);
    await blobs(['set', '--credential', bob.id, file('bob')]);
    const seen = k!.ctapCommands.length;
    const refused = await blobs(['delete', '--credential', alice.id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect(k!.ctapCommands.length).toBe(seen);

    const r = await blobs(['delete', '--credential', alice.id, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { deleted: { entries: number; credential: { credentialId: string } }; before: ListJson; after: ListJson };
    expect(j.deleted).toMatchObject({ entries: 1, credential: { credentialId: alice.id } });
    expect(owners(j.before)).toEqual(['alice', 'bob']);
    expect(owners(j.after)).toEqual(['bob']);

    const gone = await blobs(['get', '--credential', alice.id, '--json']);
    expect(gone.code).toBe(21);
    expect(JSON.parse(gone.stdout)).toMatchObject({ ok: false, error: { kind: 'not-found', exitCode: 21 } });
    expect((await blobs(['delete', '--credential', alice.id, '--yes'])).code).toBe(21);
  });

  it('delete on a terminal: the PIN prompt, then a question naming the passkey; "n" keeps the blob, "y" deletes it', async () => {
    const { alice } = await keyWithPasskeys();
    await blobs(['set', '--credential', alice.id, file('alice')]);
    const onTerminal = async (answer: string): Promise<{ exitCode: number; output: string }> => {
      const { FIDO2_PIN: _pin, ...env } = process.env;
      const args = [PTY, 'PIN: ', '1234\\r', '--then', '[y/N]', `${answer}\\r`, '--', process.execPath, BIN, 'large-blobs', 'delete', '--credential', alice.id, '--device', k!.device];
      return JSON.parse((await promisify(execFile)('/usr/bin/python3', args, { env })).stdout) as { exitCode: number; output: string };
    };
    const no = await onTerminal('n');
    expect(no.output).toMatch(/Delete the large blob \(5 bytes\) of alice at a\.example\? This cannot be undone\. \[y\/N\]/);
    expect(no.exitCode, no.output).toBe(130);
    expect(owners(await listJson())).toEqual(['alice']);
    const yes = await onTerminal('y');
    expect(yes.exitCode, yes.output).toBe(0);
    expect(yes.output).toMatch(/Deleted the large blob of alice at a\.example \(confirmed/);
    expect((await listJson()).entries).toEqual([]);
  });

  it('an entry whose passkey was deleted is orphaned; clean removes it and keeps the rest', async () => {
    const { alice, bob } = await keyWithPasskeys();
    await blobs(['set', '--credential', alice.id, file('alice')]);
    await blobs(['set', '--credential', bob.id, file('bob')]);
    const del = await runCli(['credentials', 'delete', bob.id, '--yes', '--device', k!.device], { env: PIN });
    expect(del.code, del.stderr).toBe(0);

    expect(owners(await listJson())).toEqual(['alice', 'orphaned']);
    const text = await blobs(['list']);
    expect(text.stdout).toMatch(/^2\. +orphaned: \d+ bytes stored that no passkey on this key can open/m);

    expect((await blobs(['clean'])).code).toBe(2);
    const r = await blobs(['clean', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { removed: number; before: ListJson; after: ListJson };
    expect(j.removed).toBe(1);
    expect(owners(j.before)).toEqual(['alice', 'orphaned']);
    expect(owners(j.after)).toEqual(['alice']);
    expect((await blobs(['get', '--credential', alice.id])).stdout).toBe('alice');

    const again = await blobs(['clean', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Nothing to clean/);
  });

  it('data that cannot fit is refused before the PIN is used; an array that would overflow is refused before writing', async () => {
    const { alice, bob, limit } = await keyWithPasskeys();
    const seen = k!.ctapCommands.length;
    const big = await blobs(['set', '--credential', alice.id, '--json', file(randomBytes(limit + 100))]);
    expect(big.code).toBe(20);
    expect(JSON.parse(big.stdout)).toMatchObject({ ok: false, error: { kind: 'storage-full', exitCode: 20 } });
    // getInfo only: no PIN, no large-blob traffic.
    expect(k!.ctapCommands.slice(seen)).toEqual([CTAP.getInfo]);

    const part = Math.floor(limit * 0.6);
    expect((await blobs(['set', '--credential', alice.id, file(randomBytes(part))])).code).toBe(0);
    const before = await listJson();
    const over = await blobs(['set', '--credential', bob.id, file(randomBytes(part))]);
    expect(over.code).toBe(20);
    expect(over.stderr).toMatch(/stores at most \d+; nothing was sent/);
    expect(await listJson()).toEqual(before);
  });

  it('a damaged array (as a --state file could hold) reads as empty and says so; clean replaces it', async () => {
    const { alice } = await keyWithPasskeys();
    await blobs(['set', '--credential', alice.id, file('alice')]);
    const doc = stateToJson(k!.key.snapshot()) as { largeBlobArray: string };
    // One bit of the trailing hash flipped.
    doc.largeBlobArray = doc.largeBlobArray.slice(0, -1) + (doc.largeBlobArray.endsWith('0') ? '1' : '0');
    await k!.close();
    k = await startKey({ state: stateFromJson(doc) });

    const list = await blobs(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ damage: 'hash-mismatch', entries: [] });
    expect(list.stderr).toMatch(/damaged \(its checksum does not match\); it reads as empty/);
    const r = await blobs(['clean', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ removed: 0, repaired: true, before: { damage: 'hash-mismatch' }, after: { usedBytes: 17, entries: [] } });
    expect((await listJson()).damage).toBeUndefined();
  });

  it.each([
    ['a passkey without a largeBlobKey cannot hold a blob', 'set', 5],
    ['a passkey without a largeBlobKey has none to get', 'get', 21],
  ])('%s', async (_why, command, code) => {
    const { carol } = await keyWithPasskeys();
    const args = command === 'set' ? ['set', '--credential', carol.id, '--json', file('x')] : ['get', '--credential', carol.id, '--json'];
    const r = await blobs(args);
    expect(r.code).toBe(code);
    expect(JSON.parse(r.stdout).error.reason).toBe('no-large-blob-key');
  });

  it('an unknown passkey id is a usage error and changes nothing', async () => {
    await keyWithPasskeys();
    const r = await blobs(['set', '--credential', 'ZZZZZZZZ', '--json', file('x')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.reason).toBe('credential-unknown');
    expect((await listJson()).entries).toEqual([]);
  });

  it('PIN handling: a wrong PIN is exit 6 and never retried; no PIN source without a terminal is exit 9', async () => {
    const { alice } = await keyWithPasskeys();
    const seen = k!.ctapCommands.length;
    const wrong = await blobs(['set', '--credential', alice.id, file('x')], { env: { FIDO2_PIN: '9999' } });
    expect(wrong.code).toBe(6);
    // getPINRetries, key agreement, the one token request, then the retries left for the message.
    expect(k!.ctapCommands.slice(seen).filter((c) => c === CTAP.clientPin)).toHaveLength(4);
    expect(k!.ctapCommands.slice(seen)).not.toContain(LARGE_BLOBS);
    const none = await runCli(['large-blobs', 'list', '--device', k!.device]);
    expect(none.code).toBe(9);
    const stdinPin = await blobs(['set', '--credential', alice.id, '--pin-stdin', '-'], { env: {}, stdin: '1234\n' });
    expect(stdinPin.code).toBe(2);
  });

  it('--uv: one token by built-in user verification (cm and lbw) serves set and get, no PIN', async () => {
    k = await startKey({ uv: true });
    const host = await CtapHost.open(k.key);
    const platform = new Platform(host);
    expect(await platform.setPin('1234')).toBe(0);
    const token = await platform.mustToken('1234', PERM.mc, 'a.example');
    const params = makeCredentialParams({ rk: true, rpId: 'a.example', userId: utf8('dan-id'), extensions: { largeBlobKey: true }, token });
    const id = b64(parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId);
    host.close();
    const set = await blobs(['set', '--credential', id, '--uv', file('by finger')], { env: {} });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toMatch(/Verify with your fingerprint/);
    const got = await blobs(['get', '--credential', id, '--uv'], { env: {} });
    expect(got.stdout).toBe('by finger');
  });

  it('a key with 16 KiB of storage: 10 kB of data that does not compress goes out and back in nine fragments each way', async () => {
    const { alice, limit } = await keyWithPasskeys('fido-2.1', 16384);
    expect(limit).toBe(16384);
    const data = randomBytes(10_000);
    const path = file(data);
    const set = await blobs(['set', '--credential', alice.id, path]);
    expect(set.code, set.stderr).toBe(0);
    const seen = k!.ctapCommands.length;
    const dir = tmp();
    const got = await blobs(['get', '--credential', alice.id, '-o', join(dir, 'back.bin')]);
    expect(got.code, got.stderr).toBe(0);
    expect(readFileSync(join(dir, 'back.bin')).equals(data)).toBe(true);
    // About 10 060 bytes in fragments of maxMsgSize − 64 = 1136: nine reads.
    expect(k!.ctapCommands.slice(seen).filter((c) => c === LARGE_BLOBS)).toHaveLength(9);
  });

  it('a CTAP 2.1 key without large blobs (sim --large-blob-max 0): exit 5', async () => {
    k = await startKey({ largeBlobMax: 0 });
    const r = await blobs(['list', '--json']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/no large-blob storage.*FIDO_2_1\)/);
  });

  it.each(['fido-2.1-pre', 'fido-2.0'] as const)('a %s key has no large blobs: exit 5, one line', async (profile) => {
    k = await startKey({ profile });
    for (const args of [['list'], ['get', '--credential', 'AAAAAAAA'], ['set', '--credential', 'AAAAAAAA', file('x')], ['clean', '--yes']]) {
      const r = await blobs([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(5);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'unsupported', exitCode: 5 } });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
