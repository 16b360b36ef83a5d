/**
 * The library's passkey and large-blob methods run the same operations as the
 * `credentials` and `large-blobs` commands (src/operations/credentials.ts,
 * large-blobs.ts): ids or unique id prefixes, a confirm step before a change,
 * read-back, and the inventory of owners and orphans.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openKey, type Fido2Key } from '../../src/index.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, Platform } from '../sim/platform.js';
import { keyWithPasskeys } from '../commands/passkeys.js';
import { type KeyUnderTest, startKey } from '../commands/harness.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const PIN = '1234';

let k: KeyUnderTest | undefined;
let key: Fido2Key | undefined;
afterEach(async () => {
  await key?.close();
  await k?.close();
  key = undefined;
  k = undefined;
});

/** Clears the tap, so a test can tell what a call sent. */
function tap(): KeyUnderTest {
  k!.ctapCommands.length = 0;
  k!.clientPinSubCommands.length = 0;
  return k!;
}

const ids = async (): Promise<string[]> => (await key!.listCredentials(PIN)).rps.flatMap((r) => r.credentials.map((c) => b64(c.credentialId)));

describe('Fido2Key passkeys', () => {
  it('lists by site, counts, and finds a passkey by its id bytes, base64url id or a unique prefix', async () => {
    const made = await keyWithPasskeys();
    k = made.k;
    key = await openKey(k.device);
    expect((await key.credentialsMetadata(PIN)).existing).toBe(3);
    const a = await key.listCredentials(PIN, { rpId: 'a.example' });
    expect(a.rps.map((r) => r.rp.id)).toEqual(['a.example']);
    expect(a.rps[0]!.credentials).toHaveLength(2);
    const u3 = made.ids[2]!;
    const found = await key.findCredential(PIN, u3.slice(0, 12));
    expect(found.rp.id).toBe('b.example');
    expect(b64(found.credential.credentialId)).toBe(u3);
    expect(b64((await key.findCredential(PIN, Buffer.from(u3, 'base64url'))).credential.credentialId)).toBe(u3);
    // Standard base64, as other tools print ids, names the same passkey.
    expect(b64((await key.findCredential(PIN, Buffer.from(u3, 'base64url').toString('base64'))).credential.credentialId)).toBe(u3);
    // Bytes match exactly, never as a prefix.
    await expect(key.findCredential(PIN, Buffer.from(u3, 'base64url').subarray(0, 9))).rejects.toMatchObject({ kind: 'usage', reason: 'credential-unknown' });
    await expect(key.findCredential(PIN, 'zzzzzzzzzz')).rejects.toMatchObject({ kind: 'usage', reason: 'credential-unknown' });
  });

  it('refuses an id that cannot name a passkey before anything is sent', async () => {
    k = (await keyWithPasskeys()).k;
    key = await openKey(k.device);
    const t = tap();
    await expect(key.deleteCredential(PIN, 'not an id!')).rejects.toMatchObject({ kind: 'usage', reason: 'credential-id-syntax' });
    await expect(key.updateCredentialUser(PIN, 'a?b', { name: 'x' })).rejects.toMatchObject({ kind: 'usage', reason: 'credential-id-syntax' });
    expect(t.ctapCommands).toEqual([]);
  });

  it('deletes by prefix only after confirm says yes, and reads the listing back', async () => {
    const made = await keyWithPasskeys();
    k = made.k;
    key = await openKey(k.device);
    const seen: string[] = [];
    await expect(key.deleteCredential(PIN, made.ids[1]!.slice(0, 10), { confirm: (t) => (seen.push(`${t.rp.id} ${t.credential.user.name ?? ''}`), false) })).rejects.toMatchObject({ kind: 'cancelled' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^a\.example/);
    expect(await ids()).toContain(made.ids[1]);
    const r = await key.deleteCredential(PIN, made.ids[1]!.slice(0, 10), { confirm: () => true });
    expect(b64(r.deleted.credential.credentialId)).toBe(made.ids[1]);
    expect(r.before.metadata.existing).toBe(3);
    expect(r.after.metadata.existing).toBe(2);
    expect(await ids()).not.toContain(made.ids[1]);
    // The old signature: id bytes, no options.
    await key.deleteCredential(PIN, Buffer.from(made.ids[0]!, 'base64url'));
    expect(await ids()).toEqual([made.ids[2]]);
  });

  it('renames a user by prefix, keeps the name not given and the user id, and refuses empty names and another user id locally', async () => {
    const made = await keyWithPasskeys();
    k = made.k;
    key = await openKey(k.device);
    const prefix = made.ids[2]!.slice(0, 10);
    const first = await key.updateCredentialUser(PIN, prefix, { name: 'carol', displayName: 'Carol C.' });
    expect(first.after.user).toMatchObject({ name: 'carol', displayName: 'Carol C.' });
    const second = await key.updateCredentialUser(PIN, prefix, { displayName: 'Carol' });
    expect(second.before.user).toMatchObject({ name: 'carol', displayName: 'Carol C.' });
    expect(second.after.user).toMatchObject({ name: 'carol', displayName: 'Carol' });
    expect(b64(second.after.user.id)).toBe(b64(utf8('u3')));
    const t = tap();
    await expect(key.updateCredentialUser(PIN, prefix, { name: ' ' })).rejects.toMatchObject({ kind: 'usage', reason: 'empty-name' });
    await expect(key.updateCredentialUser(PIN, prefix, {})).rejects.toMatchObject({ kind: 'usage' });
    expect(t.ctapCommands).toEqual([]);
    await expect(key.updateCredentialUser(PIN, prefix, { id: utf8('someone-else'), name: 'x' })).rejects.toMatchObject({ kind: 'usage', reason: 'user-id-mismatch' });
    // The old signature: a whole user entity with the stored id.
    await key.updateCredentialUser(PIN, Buffer.from(made.ids[2]!, 'base64url'), { id: utf8('u3'), name: 'c' });
    expect((await key.findCredential(PIN, prefix)).credential.user).toMatchObject({ name: 'c', displayName: 'Carol' });
  });

  it('a 2.1-PRE key cannot rename: unsupported, nothing changed', async () => {
    k = (await keyWithPasskeys('fido-2.1-pre')).k;
    key = await openKey(k.device);
    const id = (await ids())[0]!;
    await expect(key.updateCredentialUser(PIN, id, { name: 'x' })).rejects.toMatchObject({ kind: 'unsupported' });
  });
});

/** alice (with a largeBlobKey) and carol (without), then PIN 1234; the key stores at most `largeBlobMax` bytes. */
async function keyForBlobs(largeBlobMax?: number): Promise<{ alice: string; carol: string }> {
  k = await startKey(largeBlobMax === undefined ? {} : { largeBlobMax });
  const host = await CtapHost.open(k.key);
  const make = async (name: string, largeBlobKey: boolean): Promise<string> => {
    const params = makeCredentialParams({ rk: true, rpId: `${name}.example`, userId: utf8(name), ...(largeBlobKey ? { extensions: { largeBlobKey: true } } : {}) });
    return b64(parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId);
  };
  const alice = await make('alice', true);
  const carol = await make('carol', false);
  expect(await new Platform(host).setPin(PIN)).toBe(0);
  host.close();
  key = await openKey(k.device);
  return { alice, carol };
}

describe('Fido2Key large blobs', () => {
  it('stores by prefix, replaces, lists owners, and reads the data back', async () => {
    const { alice, carol } = await keyForBlobs();
    const set = await key!.setLargeBlob(PIN, alice.slice(0, 10), utf8('certificate'));
    expect(set).toMatchObject({ dataBytes: 11, replaced: 0 });
    expect(set.before.rows).toHaveLength(0);
    expect(set.after.rows.map((r) => r.status)).toEqual(['owned']);
    expect((await key!.setLargeBlob(PIN, alice, utf8('certificate v2'))).replaced).toBe(1);
    expect(new TextDecoder().decode(await key!.getLargeBlob(PIN, alice.slice(0, 10)))).toBe('certificate v2');
    const listed = await key!.listLargeBlobs(PIN);
    expect(listed.inventory.rows).toHaveLength(1);
    expect(listed.inventory.rows[0]).toMatchObject({ status: 'owned', entry: { origSize: 14 } });
    expect(b64(listed.inventory.rows[0]!.owner!.credential.credentialId)).toBe(alice);
    expect(listed.inventory.usedBytes).toBeGreaterThan(17);
    expect(listed.passkeys.map((p) => b64(p.credential.credentialId)).sort()).toEqual([alice, carol].sort());
    expect(await key!.getLargeBlob(PIN, carol)).toBeUndefined();
  });

  it('refuses data that cannot fit before the PIN is sent', async () => {
    const { alice } = await keyForBlobs(1024);
    const t = tap();
    await expect(key!.setLargeBlob(PIN, alice, new Uint8Array(randomBytes(4096)))).rejects.toMatchObject({ kind: 'storage-full', code: 'too-large' });
    expect(t.ctapCommands).not.toContain(CTAP.clientPin);
    expect((await key!.listLargeBlobs(PIN)).inventory.rows).toEqual([]);
  });

  it('deletes a passkey\'s blob only after confirm; false when it has none', async () => {
    const { alice } = await keyForBlobs();
    await key!.setLargeBlob(PIN, alice, utf8('data'));
    const asked: number[] = [];
    await expect(key!.deleteLargeBlob(PIN, alice.slice(0, 10), { confirm: (t) => (asked.push(t.dataBytes), false) })).rejects.toMatchObject({ kind: 'cancelled' });
    expect(asked).toEqual([4]);
    expect(await key!.getLargeBlob(PIN, alice)).toBeDefined();
    expect(await key!.deleteLargeBlob(PIN, alice.slice(0, 10), { confirm: () => true })).toBe(true);
    expect(await key!.deleteLargeBlob(PIN, alice)).toBe(false);
  });

  it('names the blob of a deleted passkey orphaned, and clean removes it after confirm', async () => {
    const { alice } = await keyForBlobs();
    expect((await key!.cleanLargeBlobs(PIN)).changed).toBe(false);
    await key!.setLargeBlob(PIN, alice, utf8('left behind'));
    await key!.deleteCredential(PIN, alice);
    const listed = await key!.listLargeBlobs(PIN);
    expect(listed.inventory.rows.map((r) => r.status)).toEqual(['orphaned']);
    expect(listed.inventory.rows[0]!.owner).toBeUndefined();
    await expect(key!.cleanLargeBlobs(PIN, { confirm: (t) => t.orphans.length !== 1 })).rejects.toMatchObject({ kind: 'cancelled' });
    expect((await key!.listLargeBlobs(PIN)).inventory.rows).toHaveLength(1);
    const clean = await key!.cleanLargeBlobs(PIN, { confirm: () => true });
    expect(clean).toMatchObject({ changed: true, repair: false });
    expect(clean.orphans).toHaveLength(1);
    expect(clean.after.rows).toEqual([]);
    expect((await key!.listLargeBlobs(PIN)).inventory.rows).toEqual([]);
  });
});
