import { afterEach, describe, expect, it } from 'vitest';
import { applyPolicy, EXIT_CODES, factsFromInfo, Fido2Error, LargeBlobError, openKey, predictUserVerification } from '../../src/index.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { startSimServer } from '../../src/sim/server.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential } from '../sim/platform.js';
import { startKey, type KeyUnderTest } from '../commands/harness.js';

const keys: KeyUnderTest[] = [];
afterEach(async () => {
  for (const k of keys.splice(0)) await k.close();
});

describe('library API', () => {
  it('opens a key, reads info, sets and checks the PIN, changes config with read-back', async () => {
    const k = await startKey();
    keys.push(k);
    const key = await openKey(k.device);
    try {
      expect((await key.info()).versions).toContain('FIDO_2_1');
      await key.setPin('13572468');
      await expect(key.setPin('13572468')).rejects.toMatchObject({ kind: 'already-done' });
      expect(await key.verifyPin('00000000')).toBe(false);
      expect(await key.pinRetries()).toBe(7);
      expect(await key.verifyPin('13572468')).toBe(true);
      const uv = await key.setAlwaysUv(true, '13572468');
      expect(uv).toMatchObject({ changed: true, after: { alwaysUv: true } });
      expect((await key.setAlwaysUv(true, '13572468')).changed).toBe(false);
      await expect(key.setMinPinLength(8)).rejects.toMatchObject({ kind: 'pin-required' });
      await expect(key.setMinPinLength(8, { pin: '11111111' })).rejects.toMatchObject({ kind: 'pin-invalid' });
      expect((await key.setMinPinLength(8, { pin: '13572468' })).after).toMatchObject({ minPinLength: 8 });
      await expect(key.setMinPinLength(6, { pin: '13572468' })).rejects.toMatchObject({ kind: 'pin-policy', reason: 'min-below-current' });
      expect(k.key.snapshot().alwaysUv).toBe(true);
    } finally {
      await key.close();
    }
  });

  it('lists and deletes passkeys with the PIN', async () => {
    const vk = new VirtualKey();
    const host = await CtapHost.open(vk);
    for (const user of ['alice', 'bob']) await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'example.com', userId: new TextEncoder().encode(user) }));
    host.close();
    const server = await startSimServer(vk, { host: '127.0.0.1', port: 0 });
    const key = await openKey(`tcp:127.0.0.1:${server.port}`);
    try {
      await key.setPin('24682468');
      const listing = await key.listCredentials('24682468');
      const creds = listing.rps.flatMap((r) => r.credentials);
      expect(creds).toHaveLength(2);
      expect((await key.credentialsMetadata('24682468')).existing).toBe(2);
      await key.deleteCredential('24682468', creds[0]!.credentialId);
      expect((await key.listCredentials('24682468')).rps.flatMap((r) => r.credentials)).toHaveLength(1);
    } finally {
      await key.close();
      await server.close();
    }
  });

  it('applyPolicy reports per key, with the CLI exit code of each failure', async () => {
    const a = await startKey();
    const b = await startKey({ profile: 'fido-2.1-pre' });
    keys.push(a, b);
    const events: string[] = [];
    const results = await applyPolicy([a.device, b.device, a.device], { pin: true, alwaysUv: true }, { pin: '97531864', onProgress: (e) => events.push(`${e.target.number}:${e.phase}`) });
    expect(results.map((r) => [r.ok, r.changed, r.error?.kind, r.error?.exitCode])).toEqual([
      [true, true, undefined, undefined],
      [false, false, 'unsupported', EXIT_CODES.unsupported],
    ]);
    expect(events).toContain('1:done');
    expect(events).toContain('2:failed');
    const dry = await applyPolicy(a.device, { pin: true, alwaysUv: true }, { dryRun: true });
    expect(dry[0]).toMatchObject({ ok: true, changed: false, steps: [] });
    await expect(applyPolicy(a.device, { alwaysUV: true } as never)).rejects.toBeInstanceOf(Fido2Error);
  });

  it('applyPolicy on more keys than the default listener limit opens them all without a process warning', async () => {
    const many = await Promise.all(Array.from({ length: 12 }, () => startKey()));
    keys.push(...many);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const results = await applyPolicy(many.map((k) => k.device), { pin: true }, { pin: '97531864', jobs: 12 });
      expect(results.filter((r) => r.ok && r.changed)).toHaveLength(12);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.removeListener('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('stores, reads and deletes a passkey\'s large blob with the PIN', async () => {
    const k = await startKey();
    keys.push(k);
    const host = await CtapHost.open(k.key);
    const made = await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'example.com', userId: new TextEncoder().encode('alice'), extensions: { largeBlobKey: true } }));
    const plain = await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'example.com', userId: new TextEncoder().encode('bob') }));
    host.close();
    const credentialId = parseMakeCredential(made).credentialId;
    const key = await openKey(k.device);
    try {
      await key.setPin('24682468');
      expect(await key.getLargeBlob('24682468', credentialId)).toBeUndefined();
      await key.setLargeBlob('24682468', credentialId, new TextEncoder().encode('certificate'));
      await key.setLargeBlob('24682468', credentialId, new TextEncoder().encode('certificate v2'));
      expect(new TextDecoder().decode(await key.getLargeBlob('24682468', credentialId))).toBe('certificate v2');
      await expect(key.setLargeBlob('24682468', parseMakeCredential(plain).credentialId, new Uint8Array(1))).rejects.toMatchObject({ kind: 'unsupported', reason: 'no-large-blob-key' });
      await expect(key.getLargeBlob('24682468', new Uint8Array(16))).rejects.toMatchObject({ kind: 'usage', reason: 'credential-unknown' });
      expect(await key.deleteLargeBlob('24682468', credentialId)).toBe(true);
      expect(await key.deleteLargeBlob('24682468', credentialId)).toBe(false);
      expect(await key.getLargeBlob('24682468', credentialId)).toBeUndefined();
    } finally {
      await key.close();
    }
  });

  it('a key without large blobs: LargeBlobError, kind unsupported', async () => {
    const k = await startKey({ profile: 'fido-2.0' });
    keys.push(k);
    const key = await openKey(k.device);
    try {
      await expect(key.getLargeBlob('24682468', new Uint8Array(16))).rejects.toBeInstanceOf(LargeBlobError);
      await expect(key.getLargeBlob('24682468', new Uint8Array(16))).rejects.toMatchObject({ name: 'LargeBlobError', code: 'unsupported', kind: 'unsupported' });
    } finally {
      await key.close();
    }
  });

  it('predicts from a key\'s getInfo what a browser will ask for, as uv-check does', async () => {
    const k = await startKey();
    keys.push(k);
    const key = await openKey(k.device);
    try {
      const before = predictUserVerification(factsFromInfo(await key.info()));
      expect(before.cells['sign-in'].required).toMatchObject({ ask: 'set-pin', uvFlag: true });
      expect(before.cells['sign-in'].discouraged).toMatchObject({ ask: 'touch', uvFlag: false });
      await key.setPin('97531864');
      await key.setAlwaysUv(true, '97531864');
      const after = predictUserVerification(factsFromInfo(await key.info()));
      expect(after.cells['sign-in'].discouraged).toMatchObject({ ask: 'pin', uvFlag: true, why: 'always-uv' });
      expect(after.notes).toContain('always-uv-windows');
    } finally {
      await key.close();
    }
  });
});
