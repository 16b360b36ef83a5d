import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CredentialListing } from '../../src/ctap/credential-management.js';
import { decodeListing, encodeListing, filterListing } from '../../src/operations/listing-codec.js';
import { stateDir, TokenStore, type RememberedKey } from '../../src/operations/token-store.js';

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'token-store-')), 'fido2-manage');
const entry: RememberedKey = { keyId: '0123456789abcdef', hint: 'aa@tcp:127.0.0.1:1', protocol: 2, token: Buffer.alloc(32, 7).toString('base64'), rememberedAt: '2026-01-01T00:00:00.000Z' };

describe('TokenStore', () => {
  it('creates a 0700 directory and a 0600 file, and reads back what it wrote', async () => {
    const dir = fresh();
    const store = new TokenStore(dir);
    expect(await store.load()).toEqual([]);
    await store.save([entry]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual([entry]);
    expect(await store.clear()).toBe(true);
    expect(await store.load()).toEqual([]);
  });

  it.each([
    ['a directory others can read', (dir: string) => chmodSync(dir, 0o755), /can be read or written by others \(mode 755\)/],
    ['a file others can read', (dir: string) => chmodSync(join(dir, 'persistent-tokens.json'), 0o644), /can be read or written by others \(mode 644\)/],
    ['a file that is a symbolic link', (dir: string) => {
      const other = join(dir, 'elsewhere.json');
      writeFileSync(other, '{"version":1,"keys":[]}', { mode: 0o600 });
      const file = join(dir, 'persistent-tokens.json');
      unlinkSync(file);
      symlinkSync(other, file);
    }, /is not a plain file/],
  ])('refuses %s', async (_name, spoil, message) => {
    const dir = fresh();
    const store = new TokenStore(dir);
    await store.save([entry]);
    spoil(dir);
    await expect(store.load()).rejects.toMatchObject({ kind: 'usage', reason: 'insecure-token-store', message: expect.stringMatching(message) });
  });

  it('names a damaged file instead of guessing', async () => {
    const dir = fresh();
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'persistent-tokens.json'), 'not json', { mode: 0o600 });
    await expect(new TokenStore(dir).load()).rejects.toMatchObject({ kind: 'usage', reason: 'token-store-damaged' });
  });

  it.each([
    [{ FIDO2_MANAGE_STATE_DIR: '/x/s', XDG_STATE_HOME: '/y' }, '/x/s'],
    [{ XDG_STATE_HOME: '/y' }, '/y/fido2-manage'],
  ])('stateDir(%o) is %s', (env, dir) => {
    expect(stateDir(env)).toBe(dir);
  });
});

describe('listing codec', () => {
  const listing: CredentialListing = {
    metadata: { existing: 2, remaining: 5 },
    rps: [
      { rp: { id: 'a.example', rpIdHash: new Uint8Array([1, 2]) }, credentials: [{ user: { id: new Uint8Array([3]), name: 'u' }, credentialId: new Uint8Array([4, 5]), publicKey: { cose: new Map<number, number | Uint8Array>([[1, 2], [-2, new Uint8Array([9])]]), algorithm: -7, algorithmName: 'ES256' }, credProtect: 1 }] },
      { rp: { id: 'b.example', name: 'B', rpIdHash: new Uint8Array([6]) }, credentials: [] },
    ],
  };

  it('round-trips bytes and COSE maps through JSON', () => {
    expect(decodeListing(JSON.parse(JSON.stringify(encodeListing(listing))))).toEqual(listing);
  });

  it('reads anything else as no cache', () => {
    expect(decodeListing({ nonsense: true })).toBeUndefined();
    expect(decodeListing(null)).toBeUndefined();
  });

  it('filters by site as listAll(rpId) does', () => {
    expect(filterListing(listing, 'b.example').rps.map((r) => r.rp.id)).toEqual(['b.example']);
    expect(filterListing(listing, undefined)).toBe(listing);
  });
});
