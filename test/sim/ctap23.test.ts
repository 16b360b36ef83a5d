/** The fido-2.3 profile: what CTAP 2.2/2.3 adds (persistent token, getInfo 0x16..0x1F, config 0x04). */
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { MAX_PIN_LENGTH, PCMR, breaksComplexityPolicy, encryptInfoMember } from '../../src/sim/ctap23.js';
import { authenticate } from '../../src/sim/pin-protocol.js';
import { freshState, stateFromJson, stateToJson } from '../../src/sim/state.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST, getAssertionParams, makeCredentialParams } from './platform.js';

type CborMapT = Map<CborValue, CborValue>;
const CM = 0x0a;
const SUB = { metadata: 1, rpsBegin: 2, credsBegin: 4, delete: 6, update: 7 };
const PIN = 'Kp4#wZ9q';

async function setup(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey({ profile: 'fido-2.3', ...o });
  const host = await CtapHost.open(key);
  return { key, host, p: new Platform(host) };
}

async function info(host: CtapHost): Promise<CborMapT> {
  return host.ok(CTAP.getInfo);
}

/** The independent half: HKDF-SHA-256 + AES-128-CBC as §6.4 describes, done here, not by the key. */
function decryptMember(enc: Uint8Array, token: Uint8Array, member: string): Uint8Array {
  const key = Buffer.from(hkdfSync('sha256', token, Buffer.alloc(32), Buffer.from(member), 16));
  const d = createDecipheriv('aes-128-cbc', key, enc.subarray(0, 16)).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(enc.subarray(16)), d.final()]));
}

async function credman(host: CtapHost, token: Uint8Array, sub: number, params?: Encodable): Promise<number> {
  const raw = params === undefined ? new Uint8Array(0) : encodeCbor(params);
  const req = new Map<number, Encodable>([[1, sub], [3, 2], [4, authenticate(2, token, new Uint8Array([sub, ...raw]))]]);
  if (params !== undefined) req.set(2, params);
  return host.status(CM, req);
}

async function makeRk(host: CtapHost, p: Platform, rpId: string): Promise<Uint8Array> {
  const token = await p.mustToken(PIN, PERM.mc, rpId);
  const body = await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, token, rpId }));
  const authData = body.get(2) as Uint8Array;
  const len = (authData[53]! << 8) | authData[54]!;
  return authData.slice(55, 55 + len);
}

describe('PIN complexity rule', () => {
  it.each([
    ['1111', true],
    ['aaaaaaaa', true],
    ['1234', true],
    ['4321', true],
    ['abcdef', true],
    ['123456789', true],
    ['1235', false],
    ['1212', false],
    ['Kp4#wZ9q', false],
    ['ééé', true],
    ['x', false],
  ])('%s refused: %s', (pin, refused) => {
    expect(breaksComplexityPolicy(pin)).toBe(refused);
  });
});

describe('encrypted getInfo members', () => {
  it('are IV || AES-128-CBC under HKDF(persistent token, member name), a fresh IV each time', () => {
    const token = new Uint8Array(32).fill(9);
    const value = new Uint8Array(16).fill(3);
    const a = encryptInfoMember(token, 'encIdentifier', value);
    const b = encryptInfoMember(token, 'encIdentifier', value);
    expect(a).toHaveLength(32);
    expect(a.subarray(0, 16)).not.toEqual(b.subarray(0, 16));
    expect(decryptMember(a, token, 'encIdentifier')).toEqual(value);
    expect(decryptMember(a, token, 'encCredStoreState')).not.toEqual(value);
  });
});

describe('getInfo of the 2.3 profiles', () => {
  it('fido-2.3 lists FIDO_2_2/FIDO_2_3 and the 0x16..0x1F members; fido-2.1 has none of them', async () => {
    const i = await info((await setup()).host);
    expect(i.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1', 'FIDO_2_2', 'FIDO_2_3']);
    expect((i.get(4) as CborMapT).get('perCredMgmtRO')).toBe(true);
    expect(i.get(0x16)).toEqual(['packed']);
    expect(i.get(0x18)).toBe(false);
    expect(i.get(0x1a)).toEqual(['usb']);
    expect(i.get(0x1b)).toBe(false);
    expect(i.get(0x1d)).toBe(MAX_PIN_LENGTH);
    expect(i.get(0x1f)).toEqual([1, 2, 3, 4]);
    expect((i.get(0x19) as Uint8Array).length).toBe(32);
    expect((i.get(0x1e) as Uint8Array).length).toBe(32);
    const old = await info((await setup({ profile: 'fido-2.1' })).host);
    expect([...old.keys()].filter((k) => (k as number) >= 0x16)).toEqual([]);
    expect((old.get(4) as CborMapT).has('perCredMgmtRO')).toBe(false);
  });

  it('fido-2.3-only lists FIDO_2_3 alone and keeps the 2.1 extensions, without the 2.1 draft prototypes', async () => {
    const i = await info((await setup({ profile: 'fido-2.3-only' })).host);
    expect(i.get(1)).toEqual(['FIDO_2_3']);
    expect(i.get(2)).toEqual(expect.arrayContaining(['credProtect', 'minPinLength']));
    expect((i.get(4) as CborMapT).has('credentialMgmtPreview')).toBe(false);
  });
});

describe('persistent token (pcmr)', () => {
  it.each([
    ['pcmr with cm', PCMR | PERM.cm, ST.UNAUTHORIZED_PERMISSION],
    ['pcmr with mc', PCMR | PERM.mc, ST.UNAUTHORIZED_PERMISSION],
    ['pcmr alone', PCMR, ST.OK],
  ])('%s', async (_name, permissions, status) => {
    const { p } = await setup();
    await p.setPin(PIN);
    expect((await p.token(PIN, permissions)).status).toBe(status);
  });

  it('a fido-2.1 key does not grant pcmr', async () => {
    const { p } = await setup({ profile: 'fido-2.1' });
    await p.setPin(PIN);
    expect((await p.token(PIN, PCMR)).status).toBe(ST.UNAUTHORIZED_PERMISSION);
  });

  it('reads (metadata, RPs, credentials) across power cycles and other tokens, but may not delete, rename or assert', async () => {
    const { key, host, p } = await setup();
    await p.setPin(PIN);
    const id = await makeRk(host, p, 'a.example');
    const ppuat = await p.mustToken(PIN, PCMR);
    expect(await p.mustToken(PIN, PCMR)).toEqual(ppuat); // handed out as it is, not renewed
    await p.mustToken(PIN, PERM.ga, 'a.example'); // a new ordinary token leaves it alone
    key.powerCycle();
    expect(await credman(host, ppuat, SUB.metadata)).toBe(ST.OK);
    expect(await credman(host, ppuat, SUB.rpsBegin)).toBe(ST.OK);
    const rpHash = new Uint8Array(createHash('sha256').update('a.example').digest());
    expect(await credman(host, ppuat, SUB.credsBegin, new Map([[1, rpHash]]))).toBe(ST.OK);
    const cred = { id, type: 'public-key' };
    expect(await credman(host, ppuat, SUB.delete, new Map([[2, cred]]))).toBe(ST.PIN_AUTH_INVALID);
    expect(await credman(host, ppuat, SUB.update, new Map<number, Encodable>([[2, cred], [3, { id: new TextEncoder().encode('user-1'), name: 'x' }]]))).toBe(ST.PIN_AUTH_INVALID);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ rpId: 'a.example', token: ppuat }))).toBe(ST.PIN_AUTH_INVALID);
  });

  it('verifies nothing before pcmr is granted, and changePIN withdraws it', async () => {
    const { key, host, p } = await setup();
    await p.setPin(PIN);
    const unissued = key.snapshot().persistentToken;
    expect(await credman(host, unissued, SUB.metadata)).toBe(ST.PIN_AUTH_INVALID);
    const ppuat = await p.mustToken(PIN, PCMR);
    expect(await p.changePin(PIN, 'Rm7!tY2v')).toBe(ST.OK);
    expect(await credman(host, ppuat, SUB.metadata)).toBe(ST.PIN_AUTH_INVALID);
    expect(await credman(host, await p.mustToken('Rm7!tY2v', PCMR), SUB.metadata)).toBe(ST.OK);
  });
});

describe('encIdentifier and encCredStoreState', () => {
  it('the identifier stays across PIN changes and goes with reset; the store state follows the discoverable credentials', async () => {
    const { host, p } = await setup();
    await p.setPin(PIN);
    let ppuat = await p.mustToken(PIN, PCMR);
    const read = async (k: number, member: string): Promise<string> =>
      Buffer.from(decryptMember((await info(host)).get(k) as Uint8Array, ppuat, member)).toString('hex');
    const id0 = await read(0x19, 'encIdentifier');
    const st0 = await read(0x1e, 'encCredStoreState');
    expect(await read(0x1e, 'encCredStoreState')).toBe(st0);
    const cred = await makeRk(host, p, 'a.example');
    const st1 = await read(0x1e, 'encCredStoreState');
    expect(st1).not.toBe(st0);
    await host.ok(CTAP.makeCredential, makeCredentialParams({ token: await p.mustToken(PIN, PERM.mc, 'b.example'), rpId: 'b.example' }));
    expect(await read(0x1e, 'encCredStoreState')).toBe(st1); // a non-discoverable credential is not stored
    expect(await credman(host, await p.mustToken(PIN, PERM.cm), SUB.delete, new Map([[2, { id: cred, type: 'public-key' }]]))).toBe(ST.OK);
    expect(await read(0x1e, 'encCredStoreState')).not.toBe(st1);
    expect(await p.changePin(PIN, 'Rm7!tY2v')).toBe(ST.OK);
    ppuat = await p.mustToken('Rm7!tY2v', PCMR);
    expect(await read(0x19, 'encIdentifier')).toBe(id0);
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    await p.setPin(PIN);
    ppuat = await p.mustToken(PIN, PCMR);
    expect(await read(0x19, 'encIdentifier')).not.toBe(id0);
  });
});

describe('PIN limits', () => {
  it.each([
    ['maxPINLength code points', 'a'.repeat(MAX_PIN_LENGTH), ST.OK],
    ['one more', 'a'.repeat(MAX_PIN_LENGTH + 1), ST.PIN_POLICY_VIOLATION],
    ['counts code points, not bytes', 'é'.repeat(MAX_PIN_LENGTH), ST.OK],
    ['two-byte code points, one too many', 'é'.repeat(MAX_PIN_LENGTH + 1), ST.PIN_POLICY_VIOLATION],
  ])('setPIN, %s', async (_name, pin, status) => {
    const { p } = await setup();
    expect(await p.setPin(pin)).toBe(status);
  });

  it('a fido-2.1 key keeps its 63-byte limit only', async () => {
    const { p } = await setup({ profile: 'fido-2.1' });
    expect(await p.setPin('a'.repeat(MAX_PIN_LENGTH + 1))).toBe(ST.OK);
  });

  it('setMinPINLength may not go above maxPINLength', async () => {
    const { p } = await setup();
    expect(await p.config(3, new Map([[1, MAX_PIN_LENGTH + 1]]))).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.config(3, new Map([[1, MAX_PIN_LENGTH]]))).toBe(ST.OK);
  });

  it('pinComplexityPolicy: off until setMinPINLength turns it on, then setPIN and changePIN obey it; false does not turn it off', async () => {
    const { host, p } = await setup();
    await p.setPin(PIN);
    expect(await p.changePin(PIN, '1234')).toBe(ST.OK);
    const t = await p.mustToken('1234', PERM.acfg);
    expect(await p.config(3, new Map([[4, true]]), t)).toBe(ST.OK);
    expect((await info(host)).get(0x1b)).toBe(true);
    expect(await p.changePin('1234', '4321')).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.changePin('1234', '1111')).toBe(ST.PIN_POLICY_VIOLATION);
    expect(await p.changePin('1234', PIN)).toBe(ST.OK);
    expect(await p.config(3, new Map([[4, false]]), await p.mustToken(PIN, PERM.acfg))).toBe(ST.OK);
    expect((await info(host)).get(0x1b)).toBe(true);
  });
});

describe('authenticatorConfig on a 2.3 key', () => {
  it('enableLongTouchForReset sets longTouchForReset until reset; a fido-2.1 key does not know it', async () => {
    const { host, p } = await setup();
    expect(await p.config(4)).toBe(ST.OK);
    expect((await info(host)).get(0x18)).toBe(true);
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    expect((await info(host)).get(0x18)).toBe(false);
    const old = await setup({ profile: 'fido-2.1' });
    expect(await old.p.config(4)).toBe(ST.INVALID_SUBCOMMAND);
  });

  it('an unlisted subcommand is INVALID_SUBCOMMAND', async () => {
    const { p } = await setup();
    expect(await p.config(5)).toBe(ST.INVALID_SUBCOMMAND);
  });
});

describe('state file', () => {
  it('keeps the 2.3 members, and a file without them loads with fresh ones', () => {
    const s = freshState(new Uint8Array(16));
    s.persistentPermissions = PCMR;
    s.pinComplexityPolicy = true;
    s.longTouchForReset = true;
    const back = stateFromJson(JSON.parse(JSON.stringify(stateToJson(s))));
    expect(back.persistentToken).toEqual(s.persistentToken);
    expect(back.identifier).toEqual(s.identifier);
    expect(back.credStoreState).toEqual(s.credStoreState);
    expect([back.persistentPermissions, back.pinComplexityPolicy, back.longTouchForReset]).toEqual([PCMR, true, true]);
    const doc = stateToJson(s) as Record<string, unknown>;
    for (const k of ['persistentToken', 'persistentPermissions', 'identifier', 'credStoreState', 'pinComplexityPolicy', 'longTouchForReset']) delete doc[k];
    const old = stateFromJson(doc);
    expect(old.identifier).toHaveLength(16);
    expect([old.persistentPermissions, old.pinComplexityPolicy, old.longTouchForReset]).toEqual([0, false, false]);
  });
});
