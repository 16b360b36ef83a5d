import { describe, expect, it } from 'vitest';
import { X509Certificate, createHash, createVerify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { decodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CDH, CTAP, PERM, Platform, RP_ID, ST, getAssertionParams, makeCredentialParams, parseMakeCredential, type McOptions } from './platform.js';

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;
const ED = 0x80;

async function setup(o: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; host: CtapHost; p: Platform }> {
  const key = new VirtualKey(o);
  const host = await CtapHost.open(key);
  return { key, host, p: new Platform(host) };
}

async function mc(host: CtapHost, o: McOptions = {}): Promise<{ status: number; body?: Map<CborValue, CborValue> }> {
  const r = await host.request(CTAP.makeCredential, makeCredentialParams(o));
  return { status: r.status, ...(r.status === 0 ? { body: r.body as Map<CborValue, CborValue> } : {}) };
}

function publicKeyFrom(authData: Uint8Array): Uint8Array {
  const idLen = (authData[53]! << 8) | authData[54]!;
  const cose = decodeCbor(authData.subarray(55 + idLen)) as Map<number, CborValue>;
  expect(cose.get(1)).toBe(2);
  expect(cose.get(3)).toBe(-7);
  expect(cose.get(-1)).toBe(1);
  return new Uint8Array([4, ...(cose.get(-2) as Uint8Array), ...(cose.get(-3) as Uint8Array)]);
}

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

describe('makeCredential', () => {
  it('makes an ES256 credential with a valid packed basic attestation, UP=1 UV=0 on a key without PIN', async () => {
    const { host } = await setup();
    const { status, body } = await mc(host);
    expect(status).toBe(ST.OK);
    expect(body!.get(1)).toBe('packed');
    const { flags, authData, counter } = parseMakeCredential(body!);
    expect(flags).toBe(UP | AT);
    expect(counter).toBe(1);
    expect([...authData.subarray(0, 32)]).toEqual([...sha(new TextEncoder().encode(RP_ID))]);
    const att = body!.get(3) as Map<string, CborValue>;
    expect(att.get('alg')).toBe(-7);
    const msg = new Uint8Array([...authData, ...CDH]);
    // Signed by the batch attestation key of x5c[0], not by the new credential's key.
    const cert = new X509Certificate((att.get('x5c') as Uint8Array[])[0]!);
    expect(createVerify('sha256').update(msg).verify(cert.publicKey, att.get('sig') as Uint8Array)).toBe(true);
    expect(p256.verify(att.get('sig') as Uint8Array, msg, publicKeyFrom(authData), { format: 'der' })).toBe(false);
  });

  it('refuses requests without ES256, with up=false, with uv=true on a key without a sensor, and with missing parameters', async () => {
    const { host } = await setup();
    const noEs256 = makeCredentialParams();
    noEs256.set(4, [{ alg: -8, type: 'public-key' }]);
    expect(await host.status(CTAP.makeCredential, noEs256)).toBe(ST.UNSUPPORTED_ALGORITHM);
    expect((await mc(host, { up: false })).status).toBe(ST.INVALID_OPTION);
    expect((await mc(host, { uv: true })).status).toBe(ST.INVALID_OPTION);
    for (const k of [1, 2, 3, 4]) {
      const m = makeCredentialParams();
      m.delete(k);
      expect(await host.status(CTAP.makeCredential, m), `without ${k}`).toBe(ST.MISSING_PARAMETER);
    }
    const wrong = makeCredentialParams();
    wrong.set(1, 'not bytes');
    expect(await host.status(CTAP.makeCredential, wrong)).toBe(ST.CBOR_UNEXPECTED_TYPE);
  });

  it('with a PIN: a discoverable credential needs UV (PUAT_REQUIRED), a non-discoverable one does not (makeCredUvNotRqd)', async () => {
    const { host, p } = await setup();
    await p.setPin('1234');
    expect((await mc(host, { rk: true })).status).toBe(ST.PUAT_REQUIRED);
    const plain = await mc(host);
    expect(plain.status).toBe(ST.OK);
    expect(parseMakeCredential(plain.body!).flags & UV).toBe(0);
    const token = await p.mustToken('1234', PERM.mc, RP_ID);
    const rk = await mc(host, { rk: true, token });
    expect(rk.status).toBe(ST.OK);
    expect(parseMakeCredential(rk.body!).flags).toBe(UP | UV | AT);
  });

  it('checks the token: param, mc permission and the permissions RP ID', async () => {
    const { host, p } = await setup();
    await p.setPin('1234');
    const ga = await p.mustToken('1234', PERM.ga, RP_ID);
    expect((await mc(host, { token: ga })).status).toBe(ST.PIN_AUTH_INVALID);
    const other = await p.mustToken('1234', PERM.mc, 'other.example');
    expect((await mc(host, { token: other })).status).toBe(ST.PIN_AUTH_INVALID);
    // Unbound token: bound to the first RP it is used with.
    const unbound = await p.mustToken('1234', PERM.mc);
    expect((await mc(host, { token: unbound })).status).toBe(ST.OK);
    expect((await mc(host, { token: unbound, rpId: 'other.example' })).status).toBe(ST.PIN_AUTH_INVALID);
    const m = makeCredentialParams({ token: unbound });
    m.delete(9);
    expect(await host.status(CTAP.makeCredential, m)).toBe(ST.MISSING_PARAMETER);
  });

  it('a zero-length pinUvAuthParam gets PIN_NOT_SET or PIN_INVALID after a touch', async () => {
    const { host, p } = await setup();
    const m = makeCredentialParams();
    m.set(8, new Uint8Array(0));
    m.set(9, 2);
    expect(await host.status(CTAP.makeCredential, m)).toBe(ST.PIN_NOT_SET);
    await p.setPin('1234');
    expect(await host.status(CTAP.makeCredential, m)).toBe(ST.PIN_INVALID);
  });

  it('alwaysUv: PUAT_REQUIRED without UV, with or without a PIN; UP=1 UV=1 with a token', async () => {
    const { host, p } = await setup();
    await p.config(2);
    expect((await mc(host)).status).toBe(ST.PUAT_REQUIRED);
    await p.setPin('1234');
    expect((await mc(host)).status).toBe(ST.PUAT_REQUIRED);
    expect((await host.request(CTAP.getAssertion, getAssertionParams())).status).toBe(ST.PUAT_REQUIRED);
    const token = await p.mustToken('1234', PERM.mc | PERM.ga, RP_ID);
    const r = await mc(host, { token });
    expect(r.status).toBe(ST.OK);
    expect(parseMakeCredential(r.body!).flags).toBe(UP | UV | AT);
    const a = await host.request(CTAP.getAssertion, getAssertionParams({ token, allow: [parseMakeCredential(r.body!).credentialId] }));
    expect(a.status).toBe(ST.OK);
    expect(((a.body as Map<CborValue, CborValue>).get(2) as Uint8Array)[32]).toBe(UP | UV);
  });

  it('alwaysUv: a silent getAssertion (up false, no token) succeeds with UP=0 UV=0 (§6.2.2)', async () => {
    const { host, p } = await setup();
    const made = parseMakeCredential((await mc(host)).body!);
    await p.config(2);
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId], up: false }));
    expect((r.get(2) as Uint8Array)[32]).toBe(0);
    expect((await host.request(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId] }))).status).toBe(ST.PUAT_REQUIRED);
  });

  it('alwaysUv with a built-in sensor performs no UV for a silent getAssertion', async () => {
    const { key, host, p } = await setup({ uv: true });
    const made = parseMakeCredential((await mc(host)).body!);
    const t = await p.uvToken(PERM.acfg);
    expect(await p.config(2, undefined, t.token)).toBe(ST.OK);
    key.setFingerprintMatch(false); // a UV attempt would now fail with UV_INVALID
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId], up: false }));
    expect((r.get(2) as Uint8Array)[32]).toBe(0);
  });

  it('alwaysUv with a built-in sensor verifies without being asked', async () => {
    const { host, p } = await setup({ uv: true });
    const t = await p.uvToken(PERM.acfg);
    expect(await p.config(2, undefined, t.token)).toBe(ST.OK);
    const r = await mc(host, { rk: true });
    expect(r.status).toBe(ST.OK);
    expect(parseMakeCredential(r.body!).flags & UV).toBe(UV);
  });

  it('built-in UV via the uv option sets UV; a mismatch is UV_INVALID', async () => {
    const { key, host } = await setup({ uv: true });
    const r = await mc(host, { uv: true, rk: true });
    expect(parseMakeCredential(r.body!).flags).toBe(UP | UV | AT);
    expect((await mc(host, { rk: true })).status).toBe(ST.PUAT_REQUIRED);
    key.setFingerprintMatch(false);
    expect((await mc(host, { uv: true })).status).toBe(ST.UV_INVALID);
  });

  it('excludeList: a credential of this key for this RP is CREDENTIAL_EXCLUDED', async () => {
    const { host } = await setup();
    const { credentialId } = parseMakeCredential((await mc(host)).body!);
    expect((await mc(host, { exclude: [credentialId] })).status).toBe(ST.CREDENTIAL_EXCLUDED);
    expect((await mc(host, { exclude: [credentialId], rpId: 'other.example' })).status).toBe(ST.OK);
    expect((await mc(host, { exclude: [new Uint8Array(16)] })).status).toBe(ST.OK);
  });

  it('credProtect is echoed in the extensions with the ED flag', async () => {
    const { host } = await setup();
    const r = await mc(host, { extensions: { credProtect: 2 } });
    const { flags, authData } = parseMakeCredential(r.body!);
    expect(flags & ED).toBe(ED);
    expect(authData.at(-1)).toBe(2);
    expect((await mc(host, { extensions: { credProtect: 9 } })).status).toBe(ST.INVALID_PARAMETER);
  });

  it('the signature counter increases with every credential and assertion', async () => {
    const { host } = await setup();
    const a = parseMakeCredential((await mc(host)).body!);
    const b = parseMakeCredential((await mc(host)).body!);
    expect(b.counter).toBeGreaterThan(a.counter);
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ allow: [a.credentialId] }));
    const c = new DataView((r.get(2) as Uint8Array).buffer).getUint32(33);
    expect(c).toBeGreaterThan(b.counter);
  });
});

describe('getAssertion and getNextAssertion', () => {
  it('signs with a non-discoverable credential from the allowList; unknown IDs are NO_CREDENTIALS', async () => {
    const { host } = await setup();
    const made = parseMakeCredential((await mc(host)).body!);
    const pub = publicKeyFrom(made.authData);
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ allow: [new Uint8Array(20), made.credentialId] }));
    expect((r.get(1) as Map<string, CborValue>).get('id')).toEqual(made.credentialId);
    const authData = r.get(2) as Uint8Array;
    expect(authData.length).toBe(37);
    expect(authData[32]).toBe(UP);
    expect(p256.verify(r.get(3) as Uint8Array, new Uint8Array([...authData, ...CDH]), pub, { format: 'der' })).toBe(true);
    expect(r.has(5)).toBe(false);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ allow: [new Uint8Array(61)] }))).toBe(ST.NO_CREDENTIALS);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId], rpId: 'other.example' }))).toBe(
      ST.NO_CREDENTIALS,
    );
  });

  it('up=false gives a silent assertion with UP=0; rk is UNSUPPORTED_OPTION', async () => {
    const { host } = await setup();
    const made = parseMakeCredential((await mc(host)).body!);
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId], up: false }));
    expect((r.get(2) as Uint8Array)[32]).toBe(0);
    const m = getAssertionParams();
    m.set(5, { rk: true });
    expect(await host.status(CTAP.getAssertion, m)).toBe(ST.UNSUPPORTED_OPTION);
  });

  it('lists discoverable credentials newest first, then getNextAssertion walks the rest', async () => {
    const { host } = await setup();
    const ids: Uint8Array[] = [];
    for (const u of ['u1', 'u2', 'u3']) {
      ids.push(parseMakeCredential((await mc(host, { rk: true, userId: new TextEncoder().encode(u) })).body!).credentialId);
    }
    // Same user again replaces the stored credential.
    ids[0] = parseMakeCredential((await mc(host, { rk: true, userId: new TextEncoder().encode('u1') })).body!).credentialId;
    const first = await host.ok(CTAP.getAssertion, getAssertionParams());
    expect(first.get(5)).toBe(3);
    const seen = [first];
    seen.push(await host.ok(CTAP.getNextAssertion));
    seen.push(await host.ok(CTAP.getNextAssertion));
    const order = seen.map((r) => (r.get(1) as Map<string, Uint8Array>).get('id'));
    expect(order).toEqual([ids[0], ids[2], ids[1]]);
    const users = seen.map((r) => new TextDecoder().decode((r.get(4) as Map<string, Uint8Array>).get('id')));
    expect(users).toEqual(['u1', 'u3', 'u2']);
    // Without UV the key does not reveal names.
    expect((seen[0]!.get(4) as Map<string, CborValue>).has('name')).toBe(false);
    expect(await host.status(CTAP.getNextAssertion)).toBe(ST.NOT_ALLOWED);
  });

  it('getNextAssertion is NOT_ALLOWED after another command', async () => {
    const { host } = await setup();
    await mc(host, { rk: true, userId: Uint8Array.of(1) });
    await mc(host, { rk: true, userId: Uint8Array.of(2) });
    expect((await host.ok(CTAP.getAssertion, getAssertionParams())).get(5)).toBe(2);
    await host.ok(CTAP.getInfo);
    expect(await host.status(CTAP.getNextAssertion)).toBe(ST.NOT_ALLOWED);
  });

  it('with a token: UV=1, names revealed; a token for another RP is PIN_AUTH_INVALID', async () => {
    const { host, p } = await setup();
    await p.setPin('1234');
    const t = await p.mustToken('1234', PERM.mc | PERM.ga, RP_ID);
    await mc(host, { rk: true, token: t });
    const r = await host.ok(CTAP.getAssertion, getAssertionParams({ token: t }));
    expect((r.get(2) as Uint8Array)[32]).toBe(UP | UV);
    expect((r.get(4) as Map<string, CborValue>).get('name')).toBe('alice');
    const other = await p.mustToken('1234', PERM.ga, 'other.example');
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ token: other }))).toBe(ST.PIN_AUTH_INVALID);
  });

  it('credProtect 2 hides discoverable credentials from an assertion without UV unless listed', async () => {
    const { host } = await setup({ uv: true });
    const made = parseMakeCredential((await mc(host, { rk: true, uv: true, extensions: { credProtect: 2 } })).body!);
    expect(await host.status(CTAP.getAssertion, getAssertionParams())).toBe(ST.NO_CREDENTIALS);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId] }))).toBe(ST.OK);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ uv: true }))).toBe(ST.OK);
  });

  it('reset makes every credential unusable, non-discoverable ones included', async () => {
    const { host } = await setup();
    const made = parseMakeCredential((await mc(host)).body!);
    await mc(host, { rk: true });
    expect(await host.status(CTAP.reset)).toBe(ST.OK);
    expect(await host.status(CTAP.getAssertion, getAssertionParams())).toBe(ST.NO_CREDENTIALS);
    expect(await host.status(CTAP.getAssertion, getAssertionParams({ allow: [made.credentialId] }))).toBe(ST.NO_CREDENTIALS);
  });

  it('selection confirms with a touch', async () => {
    const { host } = await setup();
    expect(await host.status(CTAP.selection)).toBe(ST.OK);
  });

  it('refuses allowList entries that are not descriptors', async () => {
    const { host } = await setup();
    const m = getAssertionParams();
    m.set(3, [new Uint8Array(3)] as Encodable);
    expect(await host.status(CTAP.getAssertion, m)).toBe(ST.CBOR_UNEXPECTED_TYPE);
  });
});
