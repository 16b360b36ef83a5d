/** authenticatorBioEnrollment (0x09, prototype 0x40; CTAP 2.1 §6.7) through the raw CTAPHID host. */
import { describe, expect, it } from 'vitest';
import { encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { authenticate } from '../../src/sim/pin-protocol.js';
import { stateFromJson, stateToJson } from '../../src/sim/state.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST } from './platform.js';

const BE = 0x09;
const BE_PRE = 0x40;
const SUB = { begin: 1, next: 2, cancel: 3, enumerate: 4, rename: 5, remove: 6, sensorInfo: 7 };
const PIN = '1234';
const FP_DATABASE_FULL = 0x17;
type CborMapT = Map<CborValue, CborValue>;

async function setup(o: VirtualKeyOptions = { uv: true, fingers: 0 }): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  const p = new Platform(host);
  expect(await p.setPin(PIN)).toBe(ST.OK);
  return { key, host, p };
}

/** pinUvAuthParam covers modality (1) || subCommand || subCommandParams. */
function request(sub: number, params?: Encodable, token?: Uint8Array): Map<number, Encodable> {
  const req = new Map<number, Encodable>([[1, 1], [2, sub]]);
  const raw = params === undefined ? new Uint8Array(0) : encodeCbor(params);
  if (params !== undefined) req.set(3, params);
  if (token) {
    req.set(4, 2);
    req.set(5, authenticate(2, token, new Uint8Array([1, sub, ...raw])));
  }
  return req;
}

async function be(host: CtapHost, sub: number, params?: Encodable, token?: Uint8Array, command = BE): Promise<{ status: number; body: CborMapT }> {
  const r = await host.request(command, request(sub, params, token));
  return { status: r.status, body: (r.body as CborMapT | undefined) ?? new Map() };
}

async function options(host: CtapHost): Promise<CborMapT> {
  return (await host.ok(CTAP.getInfo)).get(4) as CborMapT;
}

/** Enrolls one finger; returns its template id and every (status, remaining) pair seen. */
async function enroll(host: CtapHost, token: Uint8Array, command = BE): Promise<{ id: Uint8Array; steps: [number, number][] }> {
  const first = await be(host, SUB.begin, undefined, token, command);
  expect(first.status).toBe(ST.OK);
  const id = first.body.get(4) as Uint8Array;
  const steps: [number, number][] = [[first.body.get(5) as number, first.body.get(6) as number]];
  while (steps.at(-1)![1] > 0) {
    const r = await be(host, SUB.next, new Map([[1, id]]), token, command);
    expect(r.status).toBe(ST.OK);
    steps.push([r.body.get(5) as number, r.body.get(6) as number]);
  }
  return { id, steps };
}

describe('virtual key bio enrollment', () => {
  it('reports the modality and a touch sensor needing 4 samples, without a token', async () => {
    const { host } = await setup();
    expect((await host.ok(BE, new Map([[6, true]]))).get(1)).toBe(1);
    const info = (await be(host, SUB.sensorInfo)).body;
    expect([info.get(2), info.get(3), info.get(8)]).toEqual([1, 4, 32]);
  });

  it('follows the templates in getInfo: bioEnroll and uv false with none, true with one', async () => {
    const { host, p } = await setup();
    expect([(await options(host)).get('bioEnroll'), (await options(host)).get('uv')]).toEqual([false, false]);
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.NOT_ALLOWED);
    await enroll(host, await p.mustToken(PIN, PERM.be));
    expect([(await options(host)).get('bioEnroll'), (await options(host)).get('uv')]).toEqual([true, true]);
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.OK);
  });

  it('counts only good samples; scripted bad ones are reported by status', async () => {
    const { key, host, p } = await setup();
    key.scriptSamples([0x05, 0, 0x07, 0x0d, 0]);
    const { steps } = await enroll(host, await p.mustToken(PIN, PERM.be));
    expect(steps).toEqual([[5, 4], [0, 3], [7, 3], [13, 3], [0, 2], [0, 1], [0, 0]]);
  });

  it('lists, renames and removes; none left is INVALID_OPTION', async () => {
    const { host, p } = await setup();
    const token = await p.mustToken(PIN, PERM.be);
    const { id } = await enroll(host, token);
    expect((await be(host, SUB.rename, new Map<number, Encodable>([[1, id], [2, 'left index']]), token)).status).toBe(ST.OK);
    const list = (await be(host, SUB.enumerate, undefined, token)).body.get(7) as CborMapT[];
    expect(list.map((t) => [t.get(1), t.get(2)])).toEqual([[id, 'left index']]);
    expect((await be(host, SUB.rename, new Map<number, Encodable>([[1, id], [2, 'x'.repeat(33)]]), token)).status).toBe(ST.INVALID_PARAMETER);
    expect((await be(host, SUB.remove, new Map([[1, id]]), token)).status).toBe(ST.OK);
    expect((await be(host, SUB.remove, new Map([[1, id]]), token)).status).toBe(ST.INVALID_PARAMETER);
    expect((await be(host, SUB.enumerate, undefined, token)).status).toBe(ST.INVALID_OPTION);
  });

  it.each([
    ['no token', undefined, ST.PUAT_REQUIRED],
    ['a token without be', PERM.mc, ST.PIN_AUTH_INVALID],
  ])('refuses authenticated subcommands with %s', async (_name, permission, status) => {
    const { host, p } = await setup();
    const token = permission === undefined ? undefined : await p.mustToken(PIN, permission);
    expect((await be(host, SUB.begin, undefined, token)).status).toBe(status);
    expect((await be(host, SUB.enumerate, undefined, token)).status).toBe(status);
  });

  it('cancelCurrentEnrollment ends the enrollment; its template is never stored', async () => {
    const { host, p } = await setup();
    const token = await p.mustToken(PIN, PERM.be);
    const first = await be(host, SUB.begin, undefined, token);
    expect((await be(host, SUB.cancel)).status).toBe(ST.OK);
    expect((await be(host, SUB.next, new Map([[1, first.body.get(4) as Uint8Array]]), token)).status).toBe(ST.NOT_ALLOWED);
    expect((await be(host, SUB.enumerate, undefined, token)).status).toBe(ST.INVALID_OPTION);
  });

  it('a full template store is FP_DATABASE_FULL', async () => {
    const { host, p } = await setup({ uv: true, fingers: 5 });
    expect((await be(host, SUB.begin, undefined, await p.mustToken(PIN, PERM.be))).status).toBe(FP_DATABASE_FULL);
  });

  it('reset clears the templates', async () => {
    const { host, p } = await setup({ uv: true });
    expect((await options(host)).get('bioEnroll')).toBe(true);
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    expect((await options(host)).get('bioEnroll')).toBe(false);
    expect((await p.uvToken(PERM.mc)).status).toBe(ST.NOT_ALLOWED);
  });

  it('a fido-2.1-pre key answers on 0x40 with userVerificationMgmtPreview, not on 0x09', async () => {
    const { host, p } = await setup({ uv: true, fingers: 0, profile: 'fido-2.1-pre' });
    expect((await options(host)).has('userVerificationMgmtPreview')).toBe(true);
    const token = await p.mustToken(PIN);
    expect((await be(host, SUB.sensorInfo, undefined, undefined, BE)).status).toBe(ST.INVALID_COMMAND);
    const { id } = await enroll(host, token, BE_PRE);
    const list = (await be(host, SUB.enumerate, undefined, token, BE_PRE)).body.get(7) as CborMapT[];
    expect(list.map((t) => t.get(1))).toEqual([id]);
    expect((await options(host)).get('userVerificationMgmtPreview')).toBe(true);
  });

  it('keeps templates and names in the state document; older documents load with none', async () => {
    const { key, host, p } = await setup();
    const token = await p.mustToken(PIN, PERM.be);
    const { id } = await enroll(host, token);
    await be(host, SUB.rename, new Map<number, Encodable>([[1, id], [2, 'thumb']]), token);
    const doc = stateToJson(key.snapshot()) as Record<string, unknown>;
    expect(stateFromJson(JSON.parse(JSON.stringify(doc))).fingerprints).toEqual([{ id, name: 'thumb' }]);
    delete doc.fingerprints;
    expect(stateFromJson(doc).fingerprints).toEqual([]);
  });

  it('a key without a sensor answers INVALID_COMMAND', async () => {
    const { host } = await setup({});
    expect((await be(host, SUB.sensorInfo)).status).toBe(ST.INVALID_COMMAND);
  });
});
