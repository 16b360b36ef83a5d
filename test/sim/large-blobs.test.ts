/** authenticatorLargeBlobs (0x0C, CTAP 2.1 §6.10) and the largeBlobKey extension (§12.3), through the raw CTAPHID host. */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { authenticate, type PinUvAuthProtocol } from '../../src/sim/pin-protocol.js';
import { loadStateFile, saveStateFile } from '../../src/sim/state-file.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { parseLargeBlobMax } from '../../src/commands/sim.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST, getAssertionParams, makeCredentialParams } from './platform.js';

const LB = 0x0c;
const CM = 0x0a;
const PIN = '1234';
/** maxMsgSize 1200 − 64 (§6.10). */
const MAX_FRAGMENT = 1136;
const LB_ST = { INVALID_SEQ: 0x04, LARGE_BLOB_STORAGE_FULL: 0x18, INTEGRITY_FAILURE: 0x3d };
/** The spec's initial array: 0x80 || LEFT(SHA-256(0x80), 16). */
const EMPTY = Buffer.from('8076be8b528d0075f7aae98d6fa57a6d3c', 'hex');

type CborMapT = Map<CborValue, CborValue>;
const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

/** A well-formed serialized array of `size` bytes: a CBOR array with one byte string, then its checksum. */
function serialized(size: number): Uint8Array {
  // 1 byte of array header, then the byte string's header of 1 to 3 bytes and its content.
  const body = [1, 2, 3].map((h) => encodeCbor([new Uint8Array(size - 16 - 1 - h).fill(0xab)])).find((b) => b.length === size - 16);
  if (!body) throw new Error(`no one-entry array of ${size} bytes`);
  return new Uint8Array([...body, ...sha(body).subarray(0, 16)]);
}

function authMessage(offset: number, fragment: Uint8Array): Uint8Array {
  const offsetLe = new Uint8Array(4);
  new DataView(offsetLe.buffer).setUint32(0, offset, true);
  return new Uint8Array([...new Uint8Array(32).fill(0xff), 0x0c, 0x00, ...offsetLe, ...sha(fragment)]);
}

interface SetOptions {
  length?: number;
  token?: Uint8Array;
  protocol?: PinUvAuthProtocol;
  param?: Uint8Array;
}

function setParams(offset: number, fragment: Uint8Array, o: SetOptions = {}): Map<number, Encodable> {
  const m = new Map<number, Encodable>([
    [2, fragment],
    [3, offset],
  ]);
  if (o.length !== undefined) m.set(4, o.length);
  if (o.token) m.set(5, authenticate(o.protocol ?? 2, o.token, authMessage(offset, fragment)));
  if (o.param) m.set(5, o.param);
  if (o.token || o.protocol !== undefined) m.set(6, o.protocol ?? 2);
  return m;
}

async function open(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  return { key, host, p: new Platform(host) };
}

async function read(host: CtapHost, offset: number, count: number): Promise<Uint8Array> {
  const r = await host.ok(LB, new Map([[1, count], [3, offset]]));
  return r.get(1) as Uint8Array;
}

/** The whole array, read in maximal fragments as a platform would. */
async function readAll(host: CtapHost): Promise<Uint8Array> {
  const parts: number[] = [];
  for (;;) {
    const chunk = await read(host, parts.length, MAX_FRAGMENT);
    parts.push(...chunk);
    if (chunk.length < MAX_FRAGMENT) return new Uint8Array(parts);
  }
}

/** Writes `array` in fragments of `size`; returns the status of each request. */
async function writeAll(host: CtapHost, array: Uint8Array, size = MAX_FRAGMENT, token?: Uint8Array): Promise<number[]> {
  const statuses: number[] = [];
  for (let off = 0; off < array.length; off += size) {
    const fragment = array.subarray(off, off + size);
    statuses.push(await host.status(LB, setParams(off, fragment, { ...(off === 0 ? { length: array.length } : {}), ...(token ? { token } : {}) })));
  }
  return statuses;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('authenticatorLargeBlobs: reading', () => {
  it('a fresh key holds the initial empty array, readable without a token even with a PIN', async () => {
    const { host, p } = await open();
    expect(Buffer.from(await readAll(host))).toEqual(EMPTY);
    await p.setPin(PIN);
    expect(Buffer.from(await read(host, 1, 100))).toEqual(EMPTY.subarray(1));
    expect(await read(host, 17, 5)).toEqual(new Uint8Array(0));
    host.close();
  });

  it.each([
    ['offset missing', new Map([[1, 10]]), ST.INVALID_PARAMETER],
    ['neither get nor set', new Map([[3, 0]]), ST.INVALID_PARAMETER],
    ['both get and set', new Map<number, Encodable>([[1, 10], [2, new Uint8Array(17)], [3, 0]]), ST.INVALID_PARAMETER],
    ['get with length', new Map([[1, 10], [3, 0], [4, 17]]), ST.INVALID_PARAMETER],
    ['get with pinUvAuthParam', new Map<number, Encodable>([[1, 10], [3, 0], [5, new Uint8Array(32)], [6, 2]]), ST.INVALID_PARAMETER],
    ['get with pinUvAuthProtocol', new Map([[1, 10], [3, 0], [6, 2]]), ST.INVALID_PARAMETER],
    ['get above maxFragmentLength', new Map([[1, MAX_FRAGMENT + 1], [3, 0]]), ST.INVALID_LENGTH],
    ['get at maxFragmentLength', new Map([[1, MAX_FRAGMENT], [3, 0]]), ST.OK],
    ['offset past the end', new Map([[1, 1], [3, 18]]), ST.INVALID_PARAMETER],
    ['offset of the wrong type', new Map<number, Encodable>([[1, 1], [3, 'zero']]), ST.CBOR_UNEXPECTED_TYPE],
  ])('%s', async (_name, params, status) => {
    const { host } = await open();
    expect(await host.status(LB, params)).toBe(status);
    host.close();
  });
});

describe('authenticatorLargeBlobs: writing without a PIN', () => {
  it('writes an array over several fragments and reads it back in fragments', async () => {
    const { host } = await open();
    const array = serialized(3000);
    expect(await writeAll(host, array)).toEqual([ST.OK, ST.OK, ST.OK]);
    expect(await readAll(host)).toEqual(array);
    expect(await read(host, MAX_FRAGMENT - 1, 2)).toEqual(array.subarray(MAX_FRAGMENT - 1, MAX_FRAGMENT + 1));
    host.close();
  });

  it('fragments of exactly maxFragmentLength pass, one byte more is INVALID_LENGTH', async () => {
    const { host } = await open();
    const array = serialized(2 * MAX_FRAGMENT);
    expect(await host.status(LB, setParams(0, array.subarray(0, MAX_FRAGMENT + 1), { length: array.length }))).toBe(ST.INVALID_LENGTH);
    expect(await writeAll(host, array)).toEqual([ST.OK, ST.OK]);
    expect(await readAll(host)).toEqual(array);
    host.close();
  });

  it('the whole of maxSerializedLargeBlobArray can be used; one byte more is LARGE_BLOB_STORAGE_FULL', async () => {
    const { host } = await open({ largeBlobMax: 1024 });
    expect((await host.ok(CTAP.getInfo)).get(0x0b)).toBe(1024);
    expect(await host.status(LB, setParams(0, new Uint8Array(20), { length: 1025 }))).toBe(LB_ST.LARGE_BLOB_STORAGE_FULL);
    const array = serialized(1024);
    expect(await writeAll(host, array, 1000)).toEqual([ST.OK, ST.OK]);
    expect(await readAll(host)).toEqual(array);
    host.close();
  });

  it.each([
    ['offset 0 without length', [[0, 20, undefined]], ST.INVALID_PARAMETER],
    ['length below 17', [[0, 16, 16]], ST.INVALID_PARAMETER],
    ['a continuation with length', [[0, 20, 40], [20, 20, 40]], ST.INVALID_PARAMETER],
    ['a continuation without a start', [[20, 20, undefined]], LB_ST.INVALID_SEQ],
    ['a gap', [[0, 20, 60], [21, 20, undefined]], LB_ST.INVALID_SEQ],
    ['a repeated fragment', [[0, 20, 60], [20, 20, undefined], [20, 20, undefined]], LB_ST.INVALID_SEQ],
    ['more than the announced length', [[0, 20, 30], [20, 20, undefined]], ST.INVALID_PARAMETER],
    ['a first fragment longer than the length', [[0, 40, 30]], ST.INVALID_PARAMETER],
  ] as [string, [number, number, number | undefined][], number][])('%s', async (_name, steps, status) => {
    const { host } = await open();
    let last = -1;
    for (const [offset, size, length] of steps) {
      last = await host.status(LB, setParams(offset, new Uint8Array(size), length === undefined ? {} : { length }));
    }
    expect(last).toBe(status);
    expect(Buffer.from(await readAll(host))).toEqual(EMPTY);
    host.close();
  });

  it('a wrong checksum is INTEGRITY_FAILURE: the array stays and the write is over', async () => {
    const { host } = await open();
    const good = serialized(200);
    expect(await writeAll(host, good)).toEqual([ST.OK]);
    const bad = serialized(300);
    bad[bad.length - 1]! ^= 1;
    expect(await writeAll(host, bad, 150)).toEqual([ST.OK, LB_ST.INTEGRITY_FAILURE]);
    expect(await readAll(host)).toEqual(good);
    expect(await host.status(LB, setParams(300, new Uint8Array(1)))).toBe(LB_ST.INVALID_SEQ);
    host.close();
  });

  it('a new offset-0 write abandons an unfinished one; a power cycle abandons it too', async () => {
    const { key, host } = await open();
    const a = serialized(500);
    expect(await host.status(LB, setParams(0, a.subarray(0, 100), { length: 500 }))).toBe(ST.OK);
    const b = serialized(100);
    expect(await writeAll(host, b)).toEqual([ST.OK]);
    expect(await host.status(LB, setParams(100, a.subarray(100)))).toBe(LB_ST.INVALID_SEQ);
    expect(await readAll(host)).toEqual(b);

    expect(await host.status(LB, setParams(0, a.subarray(0, 100), { length: 500 }))).toBe(ST.OK);
    host.close();
    key.powerCycle();
    const again = await CtapHost.open(key);
    expect(await again.status(LB, setParams(100, a.subarray(100)))).toBe(LB_ST.INVALID_SEQ);
    again.close();
  });
});

describe('authenticatorLargeBlobs: writing on a protected key', () => {
  it.each([1, 2] as const)('with protocol %i, needs pinUvAuthParam from an lbw token over offset and fragment', async (protocol) => {
    const { host } = await open();
    const p = new Platform(host, protocol);
    await p.setPin(PIN);
    const array = serialized(1500);
    const first = array.subarray(0, 1000);
    const start = (o: SetOptions): Promise<number> => host.status(LB, setParams(0, first, { length: 1500, protocol, ...o }));
    expect(await host.status(LB, setParams(0, first, { length: 1500 }))).toBe(ST.PUAT_REQUIRED);
    const lbw = await p.mustToken(PIN, PERM.lbw);
    const param = authenticate(protocol, lbw, authMessage(0, first));
    expect(await host.status(LB, new Map<number, Encodable>([[2, first], [3, 0], [4, 1500], [5, param]]))).toBe(ST.MISSING_PARAMETER);
    expect(await host.status(LB, new Map<number, Encodable>([[2, first], [3, 0], [4, 1500], [5, param], [6, 3]]))).toBe(ST.INVALID_PARAMETER);
    expect(await start({ param: authenticate(protocol, lbw, authMessage(1, first)) })).toBe(ST.PIN_AUTH_INVALID);
    expect(await start({ param: authenticate(protocol, lbw, authMessage(0, array.subarray(0, 999))) })).toBe(ST.PIN_AUTH_INVALID);
    const cm = await p.mustToken(PIN, PERM.cm | PERM.mc);
    expect(await start({ token: cm })).toBe(ST.PIN_AUTH_INVALID);
    expect(Buffer.from(await readAll(host))).toEqual(EMPTY);

    const token = await p.mustToken(PIN, PERM.lbw);
    expect(await start({ token })).toBe(ST.OK);
    expect(await host.status(LB, setParams(1000, array.subarray(1000), { protocol }))).toBe(ST.PUAT_REQUIRED);
    expect(await host.status(LB, setParams(1000, array.subarray(1000), { token, protocol }))).toBe(ST.OK);
    expect(await readAll(host)).toEqual(array);
    host.close();
  });

  it('alwaysUv without a PIN still needs a token', async () => {
    const { host, p } = await open();
    expect(await p.config(2)).toBe(ST.OK);
    expect(await writeAll(host, serialized(100))).toEqual([ST.PUAT_REQUIRED]);
    host.close();
  });
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
