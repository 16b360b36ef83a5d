/** authenticatorCredentialManagement (0x0A, CTAP 2.1 §6.8) through the raw CTAPHID host. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeCbor, encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { authenticate } from '../../src/sim/pin-protocol.js';
import type { PersistentState } from '../../src/sim/state.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, PERM, Platform, ST, getAssertionParams, makeCredentialParams, parseMakeCredential } from './platform.js';

const CM = 0x0a;
const CM_PRE = 0x41;
const SUB = { metadata: 1, rpsBegin: 2, rpsNext: 3, credsBegin: 4, credsNext: 5, delete: 6, update: 7 };
const PIN = '1234';
const RP_A = 'a.example';
const RP_B = 'b.example';

type CborMapT = Map<CborValue, CborValue>;
const sha = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Made {
  readonly rpId: string;
  readonly userId: Uint8Array;
  readonly name: string;
  readonly id: Uint8Array;
  readonly coseKey: Uint8Array;
}

async function setup(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  const p = new Platform(host);
  expect(await p.setPin(PIN)).toBe(ST.OK);
  return { key, host, p };
}

/** A discoverable credential for rpId/user, made with an mc token; returns its ID and attested COSE key. */
async function makeRk(host: CtapHost, p: Platform, rpId: string, user: string, extensions?: Encodable): Promise<Made> {
  const token = await p.mustToken(PIN, PERM.mc, rpId);
  const params = makeCredentialParams({ rk: true, token, rpId, ...(extensions ? { extensions } : {}) });
  const userId = utf8(`${rpId}/${user}`);
  params.set(2, { id: rpId, name: `RP ${rpId}` });
  params.set(3, { id: userId, name: user, displayName: user.toUpperCase() });
  const { credentialId, authData } = parseMakeCredential(await host.ok(CTAP.makeCredential, params));
  const coseKey = authData.slice(55 + credentialId.length);
  return { rpId, userId, name: user, id: credentialId, coseKey };
}

/** Two RPs, three users each (the second of RP_B with credProtect level 2). */
async function populate(host: CtapHost, p: Platform): Promise<Made[]> {
  const made: Made[] = [];
  for (const rp of [RP_A, RP_B]) {
    for (const user of ['ann', 'bob', 'cy']) {
      made.push(await makeRk(host, p, rp, user, rp === RP_B && user === 'bob' ? { credProtect: 2 } : undefined));
    }
  }
  return made;
}

/** A credentialManagement request; with a token, pinUvAuthParam covers subCommand || subCommandParams. */
function cmRequest(sub: number, params?: Encodable, token?: Uint8Array, protocol: 1 | 2 = 2): Map<number, Encodable> {
  const req = new Map<number, Encodable>([[1, sub]]);
  const raw = params === undefined ? new Uint8Array(0) : encodeCbor(params);
  if (params !== undefined) req.set(2, params);
  if (token) {
    req.set(3, protocol);
    req.set(4, authenticate(protocol, token, new Uint8Array([sub, ...raw])));
  }
  return req;
}

async function cm(host: CtapHost, sub: number, params?: Encodable, token?: Uint8Array, command = CM): Promise<{ status: number; body: CborMapT }> {
  const r = await host.request(command, cmRequest(sub, params, token));
  return { status: r.status, body: (r.body as CborMapT | undefined) ?? new Map() };
}

async function cmOk(host: CtapHost, sub: number, params?: Encodable, token?: Uint8Array): Promise<CborMapT> {
  const r = await cm(host, sub, params, token);
  expect(r.status, `subcommand ${sub}`).toBe(ST.OK);
  return r.body;
}

async function remaining(host: CtapHost): Promise<CborValue> {
  return (await host.ok(CTAP.getInfo)).get(0x14);
}

const descriptor = (id: Uint8Array): Encodable => ({ id, type: 'public-key' });

async function listRps(host: CtapHost, token: Uint8Array): Promise<CborMapT[]> {
  const first = await cmOk(host, SUB.rpsBegin, undefined, token);
  const out = [first];
  for (let i = 1; i < (first.get(5) as number); i++) out.push(await cmOk(host, SUB.rpsNext));
  return out;
}

async function listCreds(host: CtapHost, token: Uint8Array, rpId: string): Promise<CborMapT[]> {
  const first = await cmOk(host, SUB.credsBegin, new Map([[1, sha(rpId)]]), token);
  const out = [first];
  for (let i = 1; i < (first.get(9) as number); i++) out.push(await cmOk(host, SUB.credsNext));
  return out;
}

describe('credential management: getInfo per profile', () => {
  it('fido-2.1 advertises credMgmt; fido-2.1-pre credentialMgmtPreview; fido-2.0 neither', async () => {
    const options = async (o: VirtualKeyOptions): Promise<CborMapT> => {
      const host = await CtapHost.open(new VirtualKey(o));
      const info = await host.ok(CTAP.getInfo);
      host.close();
      return info.get(4) as CborMapT;
    };
    const v21 = await options({});
    expect(v21.get('credMgmt')).toBe(true);
    expect(v21.get('credentialMgmtPreview')).toBe(true); // it lists FIDO_2_1_PRE too
    const pre = await options({ profile: 'fido-2.1-pre' });
    expect(pre.has('credMgmt')).toBe(false);
    expect(pre.get('credentialMgmtPreview')).toBe(true);
    const v20 = await options({ profile: 'fido-2.0' });
    expect(v20.has('credMgmt')).toBe(false);
    expect(v20.has('credentialMgmtPreview')).toBe(false);
  });

  it('the command exists only where advertised', async () => {
    const status = async (o: VirtualKeyOptions, command: number): Promise<number> => {
      const host = await CtapHost.open(new VirtualKey(o));
      const s = await host.status(command, new Map([[1, SUB.metadata]]));
      host.close();
      return s;
    };
    expect(await status({}, CM)).toBe(ST.PUAT_REQUIRED);
    expect(await status({}, CM_PRE)).toBe(ST.PUAT_REQUIRED); // fido-2.1 lists FIDO_2_1_PRE
    expect(await status({ profile: 'fido-2.1-pre' }, CM)).toBe(ST.INVALID_COMMAND);
    expect(await status({ profile: 'fido-2.1-pre' }, CM_PRE)).toBe(ST.PUAT_REQUIRED);
    expect(await status({ profile: 'fido-2.0' }, CM)).toBe(ST.INVALID_COMMAND);
    expect(await status({ profile: 'fido-2.0' }, CM_PRE)).toBe(ST.INVALID_COMMAND);
  });
});

describe('credential management: reading', () => {
  it('getCredsMetadata counts discoverable credentials and the room left, like getInfo', async () => {
    const { host, p } = await setup();
    let token = await p.mustToken(PIN, PERM.cm);
    let m = await cmOk(host, SUB.metadata, undefined, token);
    expect([m.get(1), m.get(2)]).toEqual([0, 25]);
    await populate(host, p);
    // A non-discoverable credential takes no room.
    const mcTok = await p.mustToken(PIN, PERM.mc, RP_A);
    await host.ok(CTAP.makeCredential, makeCredentialParams({ rpId: RP_A, token: mcTok }));
    token = await p.mustToken(PIN, PERM.cm);
    m = await cmOk(host, SUB.metadata, undefined, token);
    expect([m.get(1), m.get(2)]).toEqual([6, 19]);
    expect(await remaining(host)).toBe(19);
  });

  it('enumerates both RPs with their hashes, then NOT_ALLOWED once exhausted', async () => {
    const { host, p } = await setup();
    await populate(host, p);
    const token = await p.mustToken(PIN, PERM.cm);
    const rps = await listRps(host, token);
    expect(rps[0]!.get(5)).toBe(2);
    expect(rps[1]!.has(5)).toBe(false);
    const ids = rps.map((r) => (r.get(3) as CborMapT).get('id'));
    expect(ids.sort()).toEqual([RP_A, RP_B]);
    for (const r of rps) {
      const rp = r.get(3) as CborMapT;
      expect(rp.get('name')).toBe(`RP ${rp.get('id') as string}`);
      expect(r.get(4)).toEqual(sha(rp.get('id') as string));
    }
    expect((await cm(host, SUB.rpsNext)).status).toBe(ST.NOT_ALLOWED);
  });

  it("enumerates an RP's credentials: user, descriptor, the attested COSE key, credProtect", async () => {
    const { host, p } = await setup();
    const made = await populate(host, p);
    const token = await p.mustToken(PIN, PERM.cm);
    for (const rp of [RP_A, RP_B]) {
      const creds = await listCreds(host, token, rp);
      expect(creds[0]!.get(9)).toBe(3);
      expect(creds.slice(1).every((c) => !c.has(9))).toBe(true);
      const expected = made.filter((m) => m.rpId === rp);
      expect(creds.map((c) => (c.get(6) as CborMapT).get('name')).sort()).toEqual(['ann', 'bob', 'cy']);
      for (const c of creds) {
        const user = c.get(6) as CborMapT;
        const m = expected.find((e) => e.name === user.get('name'))!;
        expect(user.get('id')).toEqual(m.userId);
        expect(user.get('displayName')).toBe(m.name.toUpperCase());
        const d = c.get(7) as CborMapT;
        expect(d.get('type')).toBe('public-key');
        expect(d.get('id')).toEqual(m.id);
        // publicKey is the COSE_Key map itself, equal to what makeCredential attested
        // (in authData the key may be followed by extension outputs).
        expect(c.get(8)).toBeInstanceOf(Map);
        const encoded = encodeCbor(c.get(8) as Encodable);
        expect(m.coseKey.subarray(0, encoded.length)).toEqual(encoded);
        expect(decodeCbor(encoded)).toEqual(c.get(8));
        expect(c.get(10)).toBe(rp === RP_B && m.name === 'bob' ? 2 : 1);
      }
      expect((await cm(host, SUB.credsNext)).status).toBe(ST.NOT_ALLOWED);
    }
  });
});

describe('credential management: changes', () => {
  it('deleteCredential removes it: counts, getInfo remaining, enumeration and getAssertion follow', async () => {
    const { host, p } = await setup();
    const made = await populate(host, p);
    const victim = made.find((m) => m.rpId === RP_A && m.name === 'bob')!;
    let token = await p.mustToken(PIN, PERM.cm);
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(victim.id)]]), token)).status).toBe(ST.OK);
    expect(await remaining(host)).toBe(20);
    const m = await cmOk(host, SUB.metadata, undefined, token);
    expect([m.get(1), m.get(2)]).toEqual([5, 20]);
    const names = (await listCreds(host, token, RP_A)).map((c) => (c.get(6) as CborMapT).get('name'));
    expect(names.sort()).toEqual(['ann', 'cy']);
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(victim.id)]]), token)).status).toBe(ST.NO_CREDENTIALS);
    // The deleted credential no longer signs: not found by RP, not by its ID, and no longer excluded.
    const ga = await p.mustToken(PIN, PERM.ga, RP_A);
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ rpId: RP_A, token: ga }));
    expect(r.get(5)).toBe(2);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ rpId: RP_A, token: ga, allow: [victim.id] }))).toBe(ST.NO_CREDENTIALS);
    const mcTok = await p.mustToken(PIN, PERM.mc, RP_A);
    expect(await host.status(CTAP.makeCredential, makeCredentialParams({ rpId: RP_A, token: mcTok, exclude: [victim.id] }))).toBe(ST.OK);

    // Deleting an RP's last credential drops the RP from the list.
    token = await p.mustToken(PIN, PERM.cm);
    for (const c of made.filter((x) => x.rpId === RP_A && x !== victim)) {
      expect((await cm(host, SUB.delete, new Map([[2, descriptor(c.id)]]), token)).status).toBe(ST.OK);
    }
    expect((await cm(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]), token)).status).toBe(ST.NO_CREDENTIALS);
    const rps = await listRps(host, token);
    expect(rps.map((x) => (x.get(3) as CborMapT).get('id'))).toEqual([RP_B]);
    expect(await remaining(host)).toBe(22);
  });

  it('changes persist through the state mechanism', async () => {
    let saved: PersistentState | undefined;
    const { host, p } = await setup({ onStateChange: (s) => (saved = s) });
    const made = await populate(host, p);
    saved = undefined;
    const token = await p.mustToken(PIN, PERM.cm);
    saved = undefined; // the PIN check itself persists retries
    await cmOk(host, SUB.delete, new Map([[2, descriptor(made[0]!.id)]]), token);
    expect(saved!.credentials.length).toBe(5);
    saved = undefined;
    await cmOk(host, SUB.update, new Map<number, Encodable>([[2, descriptor(made[1]!.id)], [3, { id: made[1]!.userId, name: 'renamed' }]]), token);
    expect(saved!.credentials.find((c) => c.userName === 'renamed')).toBeDefined();
  });

  it('updateUserInformation replaces name and displayName, removing absent or empty ones', async () => {
    const { host, p } = await setup();
    const made = await populate(host, p);
    const target = made.find((m) => m.rpId === RP_B && m.name === 'cy')!;
    const token = await p.mustToken(PIN, PERM.cm);
    const update = (user: Encodable): Promise<{ status: number }> =>
      cm(host, SUB.update, new Map<number, Encodable>([[2, descriptor(target.id)], [3, user]]), token);
    const userOf = async (): Promise<CborMapT> =>
      (await listCreds(host, token, RP_B)).map((c) => c.get(6) as CborMapT).find((u) => bytesEq(u.get('id') as Uint8Array, target.userId))!;

    expect((await update({ id: target.userId, name: 'cyrus', displayName: 'Cyrus C' })).status).toBe(ST.OK);
    let user = await userOf();
    expect([user.get('name'), user.get('displayName')]).toEqual(['cyrus', 'Cyrus C']);
    expect((await update({ id: target.userId, name: 'cyrus' })).status).toBe(ST.OK);
    user = await userOf();
    expect(user.get('name')).toBe('cyrus');
    expect(user.has('displayName')).toBe(false);
    expect((await update({ id: target.userId, name: '', displayName: 'Only display' })).status).toBe(ST.OK);
    user = await userOf();
    expect(user.has('name')).toBe(false);
    expect(user.get('displayName')).toBe('Only display');
    // Another user handle: INVALID_PARAMETER, nothing changes.
    expect((await update({ id: utf8('someone else'), name: 'x' })).status).toBe(ST.INVALID_PARAMETER);
    expect((await userOf()).get('displayName')).toBe('Only display');
    // The new name is what getAssertion reports after UV.
    const ga = await p.mustToken(PIN, PERM.ga, RP_B);
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ rpId: RP_B, token: ga }));
    const newest = r.get(4) as CborMapT; // cy was made last, so comes first
    expect(newest.get('id')).toEqual(target.userId);
    expect(newest.has('name')).toBe(false);
    expect(newest.get('displayName')).toBe('Only display');
  });
});

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('credential management: authorisation', () => {
  it('PUAT_REQUIRED without pinUvAuthParam, for every authenticated subcommand', async () => {
    const { host, p } = await setup();
    const made = await populate(host, p);
    expect((await cm(host, SUB.metadata)).status).toBe(ST.PUAT_REQUIRED);
    expect((await cm(host, SUB.rpsBegin)).status).toBe(ST.PUAT_REQUIRED);
    expect((await cm(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]))).status).toBe(ST.PUAT_REQUIRED);
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(made[0]!.id)]]))).status).toBe(ST.PUAT_REQUIRED);
    expect((await cm(host, SUB.update, new Map<number, Encodable>([[2, descriptor(made[0]!.id)], [3, { id: made[0]!.userId }]]))).status).toBe(
      ST.PUAT_REQUIRED,
    );
  });

  it('a param without protocol is MISSING_PARAMETER, an unknown protocol INVALID_PARAMETER', async () => {
    const { host } = await setup();
    expect(await host.status(CM, new Map<number, Encodable>([[1, SUB.metadata], [4, new Uint8Array(32)]]))).toBe(ST.MISSING_PARAMETER);
    expect(await host.status(CM, new Map<number, Encodable>([[1, SUB.metadata], [3, 9], [4, new Uint8Array(32)]]))).toBe(ST.INVALID_PARAMETER);
  });

  it('PIN_AUTH_INVALID for a wrong param, a param over other params, or a token without cm', async () => {
    const { host, p } = await setup();
    await populate(host, p);
    const token = await p.mustToken(PIN, PERM.cm);
    const wrong = Uint8Array.from(token, (b, i) => (i === 0 ? b ^ 1 : b));
    expect((await cm(host, SUB.metadata, undefined, wrong)).status).toBe(ST.PIN_AUTH_INVALID);
    // The MAC covers subCommandParams: one made for RP_A does not open RP_B.
    const req = cmRequest(SUB.credsBegin, new Map([[1, sha(RP_A)]]), token);
    req.set(2, new Map([[1, sha(RP_B)]]));
    expect(await host.status(CM, req)).toBe(ST.PIN_AUTH_INVALID);
    // ... and the subcommand.
    const swapped = cmRequest(SUB.metadata, undefined, token);
    swapped.set(1, SUB.rpsBegin);
    expect(await host.status(CM, swapped)).toBe(ST.PIN_AUTH_INVALID);
    const noCm = await p.mustToken(PIN, PERM.mc | PERM.ga);
    expect((await cm(host, SUB.metadata, undefined, noCm)).status).toBe(ST.PIN_AUTH_INVALID);
    expect((await cm(host, SUB.rpsBegin, undefined, noCm)).status).toBe(ST.PIN_AUTH_INVALID);
    const legacy = await p.mustToken(PIN);
    expect((await cm(host, SUB.metadata, undefined, legacy)).status).toBe(ST.PIN_AUTH_INVALID);
    // A protocol-1 token under protocol 2 does not verify either.
    const p1 = new Platform(host, 1);
    const t1 = await p1.mustToken(PIN, PERM.cm);
    expect((await cm(host, SUB.metadata, undefined, t1)).status).toBe(ST.PIN_AUTH_INVALID);
    expect((await host.request(CM, cmRequest(SUB.metadata, undefined, t1, 1))).status).toBe(ST.OK);
  });

  it('a cm token bound to an RP manages only that RP, and sees neither metadata nor the RP list', async () => {
    const { host, p } = await setup();
    const made = await populate(host, p);
    const token = await p.mustToken(PIN, PERM.cm, RP_A);
    expect((await cm(host, SUB.metadata, undefined, token)).status).toBe(ST.PIN_AUTH_INVALID);
    expect((await cm(host, SUB.rpsBegin, undefined, token)).status).toBe(ST.PIN_AUTH_INVALID);
    expect((await cm(host, SUB.credsBegin, new Map([[1, sha(RP_B)]]), token)).status).toBe(ST.PIN_AUTH_INVALID);
    expect((await listCreds(host, token, RP_A)).length).toBe(3);
    const ofB = made.find((m) => m.rpId === RP_B)!;
    const ofA = made.find((m) => m.rpId === RP_A)!;
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(ofB.id)]]), token)).status).toBe(ST.PIN_AUTH_INVALID);
    const upd = (m: Made): Map<number, Encodable> => new Map<number, Encodable>([[2, descriptor(m.id)], [3, { id: m.userId, name: 'z' }]]);
    expect((await cm(host, SUB.update, upd(ofB), token)).status).toBe(ST.PIN_AUTH_INVALID);
    expect((await cm(host, SUB.update, upd(ofA), token)).status).toBe(ST.OK);
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(ofA.id)]]), token)).status).toBe(ST.OK);
    // An unbound cm token is not bound by use: it still reads everything afterwards.
    const free = await p.mustToken(PIN, PERM.cm);
    await listCreds(host, free, RP_A);
    expect((await cm(host, SUB.metadata, undefined, free)).body.get(1)).toBe(5);
  });
});

describe('credential management: parameters and enumeration state', () => {
  it('unknown or missing subcommand; missing rpIDHash, credentialID or user', async () => {
    const { host, p } = await setup();
    const made = await populate(host, p);
    const token = await p.mustToken(PIN, PERM.cm);
    expect(await host.status(CM, new Map([[1, 0x08]]))).toBe(ST.INVALID_SUBCOMMAND);
    expect(await host.status(CM, new Map([[3, 2]]))).toBe(ST.MISSING_PARAMETER);
    expect((await cm(host, SUB.credsBegin, new Map(), token)).status).toBe(ST.MISSING_PARAMETER);
    expect((await cm(host, SUB.delete, new Map(), token)).status).toBe(ST.MISSING_PARAMETER);
    expect((await cm(host, SUB.update, new Map([[2, descriptor(made[0]!.id)]]), token)).status).toBe(ST.MISSING_PARAMETER);
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(new Uint8Array(16))]]), token)).status).toBe(ST.NO_CREDENTIALS);
  });

  it('NO_CREDENTIALS when there is nothing to enumerate', async () => {
    const { host, p } = await setup();
    const token = await p.mustToken(PIN, PERM.cm);
    expect((await cm(host, SUB.rpsBegin, undefined, token)).status).toBe(ST.NO_CREDENTIALS);
    expect((await cm(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]), token)).status).toBe(ST.NO_CREDENTIALS);
    await makeRk(host, p, RP_A, 'ann');
    const t2 = await p.mustToken(PIN, PERM.cm);
    expect((await cm(host, SUB.credsBegin, new Map([[1, sha(RP_B)]]), t2)).status).toBe(ST.NO_CREDENTIALS);
  });

  it('GetNext without a Begin, after a single-item Begin, or of the other kind is NOT_ALLOWED', async () => {
    const { host, p } = await setup();
    expect((await cm(host, SUB.rpsNext)).status).toBe(ST.NOT_ALLOWED);
    expect((await cm(host, SUB.credsNext)).status).toBe(ST.NOT_ALLOWED);
    await makeRk(host, p, RP_A, 'ann');
    await makeRk(host, p, RP_A, 'bob');
    const token = await p.mustToken(PIN, PERM.cm);
    expect((await cmOk(host, SUB.rpsBegin, undefined, token)).get(5)).toBe(1);
    expect((await cm(host, SUB.rpsNext)).status).toBe(ST.NOT_ALLOWED);
    await cmOk(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]), token);
    expect((await cm(host, SUB.rpsNext)).status).toBe(ST.NOT_ALLOWED);
  });

  it('any other command or subcommand in between ends the enumeration', async () => {
    const { host, p } = await setup();
    await populate(host, p);
    const token = await p.mustToken(PIN, PERM.cm);
    await cmOk(host, SUB.rpsBegin, undefined, token);
    await host.ok(CTAP.getInfo);
    expect((await cm(host, SUB.rpsNext)).status).toBe(ST.NOT_ALLOWED);

    await cmOk(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]), token);
    await cmOk(host, SUB.metadata, undefined, token);
    expect((await cm(host, SUB.credsNext)).status).toBe(ST.NOT_ALLOWED);

    await cmOk(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]), token);
    expect((await cm(host, SUB.credsNext)).status).toBe(ST.OK);
    expect((await cm(host, SUB.rpsNext)).status).toBe(ST.NOT_ALLOWED); // wrong kind ends it too
    expect((await cm(host, SUB.credsNext)).status).toBe(ST.NOT_ALLOWED);
  });
});

describe('credential management preview (0x41) on fido-2.1-pre', () => {
  it('works with a legacy pinToken, which carries no permissions', async () => {
    const { host, p } = await setup({ profile: 'fido-2.1-pre' });
    // No permission tokens on a pre key: the legacy token makes credentials too.
    for (const user of ['ann', 'bob']) {
      const token = await p.mustToken(PIN);
      const params = makeCredentialParams({ rk: true, token, rpId: RP_A, userId: utf8(user) });
      await host.ok(CTAP.makeCredential, params);
    }
    const token = await p.mustToken(PIN);
    const meta = await cm(host, SUB.metadata, undefined, token, CM_PRE);
    expect([meta.status, meta.body.get(1), meta.body.get(2)]).toEqual([ST.OK, 2, 23]);
    const first = await cm(host, SUB.credsBegin, new Map([[1, sha(RP_A)]]), token, CM_PRE);
    expect(first.body.get(9)).toBe(2);
    expect((await cm(host, SUB.credsNext, undefined, undefined, CM_PRE)).status).toBe(ST.OK);
    const id = (first.body.get(7) as CborMapT).get('id') as Uint8Array;
    expect((await cm(host, SUB.delete, new Map([[2, descriptor(id)]]), token, CM_PRE)).status).toBe(ST.OK);
    expect((await cm(host, SUB.metadata, undefined, token, CM_PRE)).body.get(1)).toBe(1);
    expect((await cm(host, SUB.metadata, undefined, undefined, CM_PRE)).status).toBe(ST.PUAT_REQUIRED);
  });
});

describe('credential management preview (0x41) on fido-2.1', () => {
  it('is offered because the key lists FIDO_2_1_PRE, and still needs the cm permission', async () => {
    const { host, p } = await setup();
    const info = await host.ok(CTAP.getInfo);
    expect(info.get(1)).toContain('FIDO_2_1_PRE');
    const gaToken = await p.mustToken(PIN, PERM.ga, RP_A);
    expect((await cm(host, SUB.metadata, undefined, gaToken, CM_PRE)).status).toBe(ST.PIN_AUTH_INVALID);
    const token = await p.mustToken(PIN, PERM.cm);
    const meta = await cm(host, SUB.metadata, undefined, token, CM_PRE);
    expect([meta.status, meta.body.get(1)]).toEqual([ST.OK, 0]);
  });
});
