/** The largeBlobKey extension (CTAP 2.1 §12.3), large blobs in the --state file and across reset, and keys without them. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { authenticate } from '../../src/sim/pin-protocol.js';
import { loadStateFile, saveStateFile } from '../../src/sim/state-file.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { parseLargeBlobMax } from '../../src/commands/sim.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST, getAssertionParams, makeCredentialParams } from './platform.js';
import { EMPTY, LB, LB_ST, MAX_FRAGMENT, PIN, open, readAll, serialized, setParams, sha, writeAll } from './large-blob-host.js';

const CM = 0x0a;
type CborMapT = Map<CborValue, CborValue>;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('largeBlobKey extension', () => {
  async function withPin(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
    const r = await open(o);
    await r.p.setPin(PIN);
    return r;
  }
  async function makeCredential(host: CtapHost, p: Platform, rk: boolean, userId: string, extensions?: Encodable): Promise<{ status: number; body: CborMapT }> {
    const token = await p.mustToken(PIN, PERM.mc);
    const params = makeCredentialParams({ rk, token, userId: new TextEncoder().encode(userId), ...(extensions ? { extensions } : {}) });
    const r = await host.request(CTAP.makeCredential, params);
    return { status: r.status, body: (r.body as CborMapT | undefined) ?? new Map() };
  }

  it('makeCredential returns a fresh 32-byte key (0x05) for a discoverable credential, and none without the extension', async () => {
    const { host, p } = await withPin();
    const a = await makeCredential(host, p, true, 'a', { largeBlobKey: true });
    const b = await makeCredential(host, p, true, 'b', { largeBlobKey: true });
    const c = await makeCredential(host, p, true, 'c');
    expect(a.status).toBe(ST.OK);
    expect((a.body.get(5) as Uint8Array).length).toBe(32);
    expect(a.body.get(5)).not.toEqual(b.body.get(5));
    expect(c.body.has(5)).toBe(false);
    // The extension's output is not in authData: no ED flag for it.
    expect((a.body.get(2) as Uint8Array)[32]! & 0x80).toBe(0);
    host.close();
  });

  it.each([
    ['without rk', false, { largeBlobKey: true }],
    ['with the value false', true, { largeBlobKey: false }],
  ])('makeCredential %s is INVALID_OPTION and stores nothing', async (_name, rk, ext) => {
    const { key, host, p } = await withPin();
    expect((await makeCredential(host, p, rk, 'a', ext)).status).toBe(ST.INVALID_OPTION);
    expect(key.snapshot().credentials).toEqual([]);
    host.close();
  });

  it('getAssertion and getNextAssertion return the key (0x07) when asked, for credentials that have one', async () => {
    const { host, p } = await withPin();
    const a = (await makeCredential(host, p, true, 'a', { largeBlobKey: true })).body.get(5) as Uint8Array;
    await makeCredential(host, p, true, 'b');
    const params = getAssertionParams();
    params.set(4, { largeBlobKey: true });
    const first = await host.ok(CTAP.getAssertion, params); // newest first: b, which has no key
    expect(first.get(5)).toBe(2);
    expect(first.has(7)).toBe(false);
    const next = await host.ok(CTAP.getNextAssertion);
    expect(next.get(7)).toEqual(a);
    const plain = await host.ok(CTAP.getAssertion, getAssertionParams());
    await host.ok(CTAP.getNextAssertion).then((r) => expect(r.has(7)).toBe(false));
    expect(plain.has(7)).toBe(false);
    params.set(4, { largeBlobKey: false });
    expect(await host.status(CTAP.getAssertion, params)).toBe(ST.INVALID_OPTION);
    host.close();
  });

  it('credential management lists the key (0x0B) of credentials that have one', async () => {
    const { host, p } = await withPin();
    const a = (await makeCredential(host, p, true, 'a', { largeBlobKey: true })).body.get(5) as Uint8Array;
    await makeCredential(host, p, true, 'b');
    const token = await p.mustToken(PIN, PERM.cm);
    const sub = new Map([[1, sha(new TextEncoder().encode('example.com'))]]);
    const raw = encodeCbor(sub);
    const req = new Map<number, Encodable>([[1, 4], [2, sub], [3, 2], [4, authenticate(2, token, new Uint8Array([4, ...raw]))]]);
    const first = await host.ok(CM, req);
    const second = await host.ok(CM, new Map([[1, 5]]));
    expect(first.get(0x0b)).toEqual(a);
    expect(second.has(0x0b)).toBe(false);
    host.close();
  });
});

describe('large blobs and the key state', () => {
  it('reset clears the array, the keys and an unfinished write', async () => {
    const { key, host, p } = await open();
    await p.setPin(PIN);
    const token = await p.mustToken(PIN, PERM.lbw | PERM.mc);
    await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, token, extensions: { largeBlobKey: true } }));
    const token2 = await p.mustToken(PIN, PERM.lbw);
    expect(await writeAll(host, serialized(300), MAX_FRAGMENT, token2)).toEqual([ST.OK]);
    const array = serialized(400);
    expect(await host.status(LB, setParams(0, array.subarray(0, 100), { length: 400, token: token2 }))).toBe(ST.OK);
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    expect(Buffer.from(await readAll(host))).toEqual(EMPTY);
    expect(key.snapshot().credentials).toEqual([]);
    expect(await host.status(LB, setParams(100, array.subarray(100)))).toBe(LB_ST.INVALID_SEQ);
    host.close();
  });

  it('the array and the keys survive a restart with --state; files from before large blobs still load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-sim-blobs-'));
    dirs.push(dir);
    const path = join(dir, 'key.json');
    const first = new VirtualKey({ onStateChange: (s) => saveStateFile(path, s) });
    const h1 = await CtapHost.open(first);
    const p1 = new Platform(h1);
    const made = await h1.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, extensions: { largeBlobKey: true } }));
    const array = serialized(2000);
    expect(await writeAll(h1, array)).toEqual([ST.OK, ST.OK]);
    await p1.setPin(PIN);
    h1.close();

    const second = new VirtualKey({ state: loadStateFile(path)! });
    const h2 = await CtapHost.open(second);
    expect(await readAll(h2)).toEqual(array);
    const params = getAssertionParams({ token: await new Platform(h2).mustToken(PIN, PERM.ga) });
    params.set(4, { largeBlobKey: true });
    expect((await h2.ok(CTAP.getAssertion, params)).get(7)).toEqual(made.get(5));
    h2.close();

    const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { credentials: Record<string, unknown>[] };
    expect(doc.largeBlobArray).toBe(Buffer.from(array).toString('hex'));
    delete doc.largeBlobArray;
    for (const c of doc.credentials) delete c.largeBlobKey;
    writeFileSync(path, JSON.stringify(doc));
    const old = loadStateFile(path)!;
    expect(Buffer.from(old.largeBlobArray)).toEqual(EMPTY);
    expect(old.credentials[0]!.largeBlobKey).toBeUndefined();
  });
});

describe('keys without large blobs', () => {
  it.each([
    ['fido-2.1 with --large-blob-max 0', { largeBlobMax: 0 }],
    ['fido-2.1-pre', { profile: 'fido-2.1-pre' }],
    ['fido-2.0', { profile: 'fido-2.0' }],
  ] as [string, VirtualKeyOptions][])('%s: no option, no command, the extension ignored', async (_name, o) => {
    const { host } = await open(o);
    const info = await host.ok(CTAP.getInfo);
    expect((info.get(4) as CborMapT).has('largeBlobs')).toBe(false);
    expect(info.has(0x0b)).toBe(false);
    expect((info.get(2) as string[] | undefined) ?? []).not.toContain('largeBlobKey');
    expect(await host.status(LB, new Map([[1, 10], [3, 0]]))).toBe(ST.INVALID_COMMAND);
    const made = await host.ok(CTAP.makeCredential, makeCredentialParams({ extensions: { largeBlobKey: true } }));
    expect(made.has(5)).toBe(false);
    host.close();
  });

  it('--large-blob-max takes 0 or 1024 to 1048576 bytes', () => {
    expect(parseLargeBlobMax('0')).toBe(0);
    expect(parseLargeBlobMax('1024')).toBe(1024);
    expect(parseLargeBlobMax('1048576')).toBe(1048576);
    for (const bad of ['1023', '1048577', '-1', '4k', '', '1e4']) expect(() => parseLargeBlobMax(bad), bad).toThrow(/--large-blob-max/);
    expect(() => new VirtualKey({ largeBlobMax: 100 })).toThrow(RangeError);
  });
});
