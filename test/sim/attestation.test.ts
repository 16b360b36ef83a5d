import { X509Certificate, createVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../../src/sim/cbor.js';
import { bitString, oid, unsignedInteger, utcTime, tlv } from '../../src/sim/der.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CDH, CTAP, Platform, ST, makeCredentialParams, parseMakeCredential } from './platform.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('DER encoder', () => {
  it.each([
    ['INTEGER 0', unsignedInteger(Uint8Array.of(0)), '020100'],
    ['INTEGER drops leading zeros', unsignedInteger(Uint8Array.of(0, 0, 5)), '020105'],
    ['INTEGER keeps it positive', unsignedInteger(Uint8Array.of(0x80)), '02020080'],
    ['OID prime256v1', oid('1.2.840.10045.3.1.7'), '06082a8648ce3d030107'],
    ['OID fido aaguid', oid('1.3.6.1.4.1.45724.1.1.4'), '060b2b0601040182e51c010104'],
    ['BIT STRING', bitString(Uint8Array.of(0xab)), '030200ab'],
    ['UTCTime', utcTime(new Date(Date.UTC(2049, 11, 31, 23, 59, 59))), '170d3439313233313233353935395a'],
    ['long length', tlv(0x04, new Uint8Array(200)), '0481c8' + '00'.repeat(200)],
    ['two-byte length', tlv(0x04, new Uint8Array(300)), '0482012c' + '00'.repeat(300)],
  ])('%s', (_name, got, want) => {
    expect(hex(got)).toBe(want);
  });
});

async function enterpriseKey(): Promise<{ host: CtapHost; p: Platform }> {
  const key = new VirtualKey();
  const host = await CtapHost.open(key);
  const p = new Platform(host);
  expect(await p.config(1)).toBe(ST.OK); // enableEnterpriseAttestation, no PIN yet
  return { host, p };
}

describe('enterprise attestation (CTAP 2.1 §7.1)', () => {
  it('answers ep=2 with packed attestation whose x5c certificate meets WebAuthn §8.2.1 and verifies the signature', async () => {
    const { host } = await enterpriseKey();
    const params = makeCredentialParams();
    params.set(10, 2);
    const body = await host.ok(CTAP.makeCredential, params);
    expect(body.get(1)).toBe('packed');
    expect(body.get(4)).toBe(true);
    const stmt = body.get(3) as Map<CborValue, CborValue>;
    expect(stmt.get('alg')).toBe(-7);
    const x5c = stmt.get('x5c') as Uint8Array[];
    expect(x5c).toHaveLength(1);
    const cert = new X509Certificate(x5c[0]!);
    expect(cert.subject.split('\n')).toEqual(expect.arrayContaining(['C=ZZ', 'OU=Authenticator Attestation']));
    expect(cert.subject).toMatch(/^O=/m);
    expect(cert.subject).toMatch(/^CN=/m);
    expect(cert.ca).toBe(false);
    expect(cert.verify(cert.publicKey)).toBe(true);
    // id-fido-gen-ce-aaguid carries the AAGUID of the attested credential data.
    const { authData } = parseMakeCredential(body);
    const aaguid = authData.subarray(37, 53);
    expect(Buffer.from(cert.raw).includes(Buffer.concat([Buffer.from('0410', 'hex'), aaguid]))).toBe(true);
    const v = createVerify('sha256');
    v.update(Buffer.concat([authData, CDH]));
    expect(v.verify(cert.publicKey, stmt.get('sig') as Uint8Array)).toBe(true);
  });

  it('uses one attestation certificate per key', async () => {
    const { host } = await enterpriseKey();
    const certs: string[] = [];
    for (const ep of [1, 2]) {
      const params = makeCredentialParams();
      params.set(10, ep);
      const stmt = (await host.ok(CTAP.makeCredential, params)).get(3) as Map<CborValue, CborValue>;
      certs.push(hex((stmt.get('x5c') as Uint8Array[])[0]!));
    }
    expect(certs[0]).toBe(certs[1]);
  });

  it('uses the batch certificate, shared by keys of one AAGUID and unlike the enterprise one, when enterprise attestation is not asked for', async () => {
    const { host } = await enterpriseKey();
    const other = await CtapHost.open(new VirtualKey());
    const certOf = async (h: CtapHost, ep?: number): Promise<X509Certificate> => {
      const params = makeCredentialParams();
      if (ep !== undefined) params.set(10, ep);
      const body = await h.ok(CTAP.makeCredential, params);
      expect(body.has(4)).toBe(ep !== undefined);
      const stmt = body.get(3) as Map<CborValue, CborValue>;
      const x5c = stmt.get('x5c') as Uint8Array[];
      expect(x5c).toHaveLength(1);
      const { authData } = parseMakeCredential(body);
      expect(createVerify('sha256').update(Buffer.concat([authData, CDH])).verify(new X509Certificate(x5c[0]!).publicKey, stmt.get('sig') as Uint8Array)).toBe(true);
      return new X509Certificate(x5c[0]!);
    };
    const batch = await certOf(host);
    expect(batch.ca).toBe(false);
    expect(batch.subject.split('\n')).toEqual(expect.arrayContaining(['C=ZZ', 'OU=Authenticator Attestation']));
    expect((await certOf(other)).fingerprint256).toBe(batch.fingerprint256);
    expect((await certOf(host, 1)).fingerprint256).not.toBe(batch.fingerprint256);
  });
});
