import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    openSync: vi.fn(real.openSync),
    fsyncSync: vi.fn(real.fsyncSync),
    renameSync: vi.fn(real.renameSync),
    writeSync: vi.fn(real.writeSync),
  };
});
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fido2Error } from '../../src/errors.js';
import { loadStateFile, saveStateFile } from '../../src/sim/state-file.js';
import { STATE_FORMAT, freshState } from '../../src/sim/state.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST, getAssertionParams, makeCredentialParams } from './platform.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fido2-sim-state-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function keyWithFile(path: string): VirtualKey {
  const state = loadStateFile(path);
  return new VirtualKey({ ...(state ? { state } : {}), onStateChange: (s) => saveStateFile(path, s) });
}

describe('--state file', () => {
  it('keeps PIN, retries, alwaysUv, minPINLength, forcePINChange, credentials, aaguid and counter across runs', async () => {
    const path = join(tempDir(), 'key.json');
    const first = keyWithFile(path);
    const h1 = await CtapHost.open(first);
    const p1 = new Platform(h1);
    await p1.setPin('12345678');
    const t = await p1.mustToken('12345678', PERM.acfg | PERM.mc, 'example.com');
    await p1.config(3, new Map([[1, 9]]), t);
    await p1.config(2, undefined, t);
    const rk = await h1.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, token: t }));
    await p1.token('00000000', PERM.mc);
    const info1 = await h1.ok(CTAP.getInfo);
    h1.close();

    const second = keyWithFile(path);
    const h2 = await CtapHost.open(second);
    const p2 = new Platform(h2);
    const info2 = await h2.ok(CTAP.getInfo);
    expect(info2.get(3)).toEqual(info1.get(3));
    const o = info2.get(4) as Map<string, boolean>;
    expect(o.get('clientPin')).toBe(true);
    expect(o.get('alwaysUv')).toBe(true);
    expect(info2.get(0x0d)).toBe(9);
    expect(info2.get(0x0c)).toBe(true);
    expect(info2.get(0x14)).toBe(24);
    expect((await p2.retries()).retries).toBe(7);
    // The forced change, then the stored credential still signs, with a higher counter.
    expect(await p2.changePin('12345678', '123456789')).toBe(ST.OK);
    const t2 = await p2.mustToken('123456789', PERM.ga, 'example.com');
    const a = await h2.ok(CTAP.getAssertion, getAssertionParams({ token: t2 }));
    const made = rk.get(2) as Uint8Array;
    expect(new DataView((a.get(2) as Uint8Array).buffer).getUint32(33)).toBeGreaterThan(new DataView(made.buffer).getUint32(33));
    h2.close();
  });

  it('writes a versioned document and leaves no temporary files behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'key.json');
    const key = keyWithFile(path);
    const h = await CtapHost.open(key);
    await new Platform(h).setPin('1234');
    h.close();
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(doc.format).toBe(STATE_FORMAT);
    expect(doc.version).toBe(1);
    expect(readdirSync(dir)).toEqual(['key.json']);
  });

  it('stores the PIN as a verifier keyed with a random per-key salt, never the bare SHA-256 prefix', async () => {
    const pinHash16 = (pin: string): string => createHash('sha256').update(pin).digest().subarray(0, 16).toString('hex');
    const docs: Record<string, unknown>[] = [];
    for (const name of ['a.json', 'b.json']) {
      const path = join(tempDir(), name);
      const h = await CtapHost.open(keyWithFile(path));
      await new Platform(h).setPin('1234');
      h.close();
      const text = readFileSync(path, 'utf8');
      expect(text).not.toContain(pinHash16('1234'));
      docs.push((JSON.parse(text) as { pin: Record<string, unknown> }).pin);
    }
    expect(docs[0]!.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(docs[0]!.salt).not.toBe(docs[1]!.salt);
    expect(docs[0]!.verifier).not.toBe(docs[1]!.verifier);
  });

  it('an older file with the bare hash still unlocks with its PIN, and is rewritten salted', async () => {
    const path = join(tempDir(), 'old.json');
    const h0 = await CtapHost.open(keyWithFile(path));
    await new Platform(h0).setPin('1234');
    h0.close();
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { pin: Record<string, unknown> };
    doc.pin = { hash: createHash('sha256').update('1234').digest().subarray(0, 16).toString('hex'), codePoints: 4 };
    writeFileSync(path, JSON.stringify(doc));
    const h = await CtapHost.open(keyWithFile(path));
    const p = new Platform(h);
    expect((await p.token('1234', PERM.mc)).status).toBe(ST.OK);
    h.close();
    expect(readFileSync(path, 'utf8')).not.toContain('"hash"');
  });

  it('writes through a temporary file in the same directory, fsyncs it, then renames it over the old file', () => {
    const dir = tempDir();
    const path = join(dir, 'key.json');
    writeFileSync(path, 'old');
    const open = vi.mocked(fs.openSync);
    const fsync = vi.mocked(fs.fsyncSync);
    const rename = vi.mocked(fs.renameSync);
    open.mockClear();
    fsync.mockClear();
    rename.mockClear();
    saveStateFile(path, freshState(new Uint8Array(16)));
    expect(rename).toHaveBeenCalledTimes(1);
    const [from, to] = rename.mock.calls[0]!;
    expect(to).toBe(path);
    expect(String(from).startsWith(join(dir, '.key.json.'))).toBe(true);
    expect(open.mock.calls[0]![0]).toBe(from);
    expect(fsync).toHaveBeenCalled();
    expect(fsync.mock.invocationCallOrder[0]!).toBeLessThan(rename.mock.invocationCallOrder[0]!);
    expect(loadStateFile(path)).toBeDefined();
  });

  it('a write that fails half way leaves the old file as it was and no temporary file', () => {
    const dir = tempDir();
    const path = join(dir, 'key.json');
    saveStateFile(path, freshState(new Uint8Array(16)));
    const before = readFileSync(path, 'utf8');
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    expect(() => saveStateFile(path, freshState(new Uint8Array(16)))).toThrow('disk full');
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['key.json']);
  });

  it('a missing file is a factory-new key', () => {
    expect(loadStateFile(join(tempDir(), 'none.json'))).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"format": '],
    ['a foreign JSON document', '{"name": "something else"}'],
    ['a newer version', JSON.stringify({ format: STATE_FORMAT, version: 99 })],
    ['a damaged state', JSON.stringify({ format: STATE_FORMAT, version: 1, aaguid: 'zz' })],
    ['an array', '[]'],
  ])('%s is a one-line usage error', (_name, content) => {
    const path = join(tempDir(), 'bad.json');
    writeFileSync(path, content);
    let error: unknown;
    try {
      loadStateFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Fido2Error);
    expect((error as Fido2Error).kind).toBe('usage');
    expect((error as Fido2Error).message).toContain(path);
    expect((error as Fido2Error).message).not.toContain('\n');
  });
});
