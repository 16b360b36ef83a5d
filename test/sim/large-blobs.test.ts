/** authenticatorLargeBlobs (0x0C, CTAP 2.1 §6.10) through the raw CTAPHID host: reads, fragmented writes, integrity and auth. */
import { describe, expect, it } from 'vitest';
import type { Encodable } from '../../src/sim/cbor.js';
import { authenticate } from '../../src/sim/pin-protocol.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST } from './platform.js';
import { EMPTY, LB, LB_ST, MAX_FRAGMENT, PIN, authMessage, open, read, readAll, serialized, setParams, writeAll, type SetOptions } from './large-blob-host.js';

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

  it('a key protected only by an enrolled finger takes a UV token with lbw', async () => {
    const { host, p } = await open({ uv: true });
    const array = serialized(300);
    expect(await writeAll(host, array)).toEqual([ST.PUAT_REQUIRED]);
    const { token } = await p.uvToken(PERM.lbw);
    expect(await writeAll(host, array, MAX_FRAGMENT, token)).toEqual([ST.OK]);
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

