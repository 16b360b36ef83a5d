import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

const SCRIPT = fileURLToPath(new URL('../python/large_blobs.py', import.meta.url));
const PIN = { FIDO2_PIN: '1234' };
let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

async function python<T>(...args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, ...args]);
  return JSON.parse(stdout) as T;
}

interface Made {
  rp: string;
  user: string;
  credentialId: string;
  largeBlobKey: string | null;
}

const port = (): string => k!.device.split(':')[2]!;
const hex = (s: string): string => Buffer.from(s).toString('hex');

describe('python-fido2 and the CLI agree on large blobs', () => {
  it('python-fido2 writes an entry (zlib-wrapped), the CLI lists and reads it; the CLI writes one (raw DEFLATE), python-fido2 reads it', async () => {
    k = await startKey();
    const made = await python<Made[]>('create', port(), '1234');
    const alice = made.find((m) => m.user === 'alice')!;
    const bob = made.find((m) => m.user === 'bob')!;
    expect(alice.largeBlobKey).toMatch(/^[0-9a-f]{64}$/);

    const theirs = 'written by python-fido2 '.repeat(10);
    expect(await python('store', port(), '1234', alice.largeBlobKey!, hex(theirs))).toEqual({ stored: true });

    const list = await runCli(['large-blobs', 'list', '--json', '--device', k.device], { env: PIN });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).entries).toEqual([
      expect.objectContaining({ status: 'owned', dataBytes: theirs.length, credential: { credentialId: alice.credentialId, rp: 'a.example', user: { name: 'alice' } } }),
    ]);
    const got = await runCli(['large-blobs', 'get', '--credential', alice.credentialId, '--device', k.device], { env: PIN });
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toBe(theirs);

    const ours = 'written by fido2-manage '.repeat(10);
    const path = join(mkdtempSync(join(tmpdir(), 'lb-')), 'ours.txt');
    writeFileSync(path, ours);
    const set = await runCli(['large-blobs', 'set', '--credential', bob.credentialId, path, '--device', k.device], { env: PIN });
    expect(set.code, set.stderr).toBe(0);

    // python-fido2's array reader checks the hash and decodes the array; its _lb_unpack opens our entry.
    expect(await python('fetch', port(), bob.largeBlobKey!)).toEqual({ data: hex(ours), format: 'raw', entries: 2 });
    expect(await python('fetch', port(), alice.largeBlobKey!)).toEqual({ data: hex(theirs), format: 'zlib', entries: 2 });
  });
});
