import { describe, expect, it } from 'vitest';
import { ClientPin, makePinUvAuthToken } from '../../src/ctap/client-pin.js';
import {
  buildCredMgmtRequest,
  credentialManagementCommand,
  CredentialManagement,
  credMgmtMessage,
  CredMgmtSubCommand,
  parseCredential,
} from '../../src/ctap/credential-management.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { decodeCborMap, encodeCbor } from '../../src/ctap/cbor.js';
import { pinProtocolV1, pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { PERM_CM } from '../../src/ctap/permissions.js';
import { CtapHidDevice } from '../../src/transports/ctaphid/ctaphid.js';
import { openSimTransport } from '../../src/transports/in-process/sim-transport.js';
import { VirtualKey, type ProfileName } from '../../src/sim/virtual-key.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, Platform } from '../sim/platform.js';
import { bstr, coseHex, hex, tstr, unhex } from './helpers.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('credential management messages (§6.8)', () => {
  it('authenticates subCommand alone when there are no params', () => {
    expect(hex(credMgmtMessage(CredMgmtSubCommand.getCredsMetadata))).toBe('01');
    expect(hex(credMgmtMessage(CredMgmtSubCommand.enumerateRPsBegin))).toBe('02');
  });

  it('authenticates subCommand || CBOR(subCommandParams) and sends the same params', () => {
    const hash = 'ab'.repeat(32);
    const params = new Map([[1, Buffer.from(hash, 'hex')]]);
    expect(hex(credMgmtMessage(0x04, params))).toBe(`04a101${bstr(hash)}`);
    const token = makePinUvAuthToken(pinProtocolV2, new Uint8Array(32).fill(7), PERM_CM);
    const mac = hex(pinProtocolV2.authenticate(token.token, Buffer.from(`04a101${bstr(hash)}`, 'hex')));
    expect(hex(encodeCbor(buildCredMgmtRequest(0x04, params, token)))).toBe(`a4 0104 02a101${bstr(hash)} 0302 04${bstr(mac)}`.replace(/\s/g, ''));
  });

  it('writes the credential descriptor with id before type, and no auth for GetNext', () => {
    const id = '0102';
    const req = buildCredMgmtRequest(0x06, new Map([[2, new Map<string, Uint8Array | string>([['id', Buffer.from(id, 'hex')], ['type', 'public-key']])]]));
    expect(hex(encodeCbor(req))).toBe(`a2 0106 02a102a2${tstr('id')}${bstr(id)}${tstr('type')}${tstr('public-key')}`.replace(/\s/g, ''));
    expect(hex(encodeCbor(buildCredMgmtRequest(0x03)))).toBe('a10103');
  });

  it.each([
    [{ credMgmt: true, credentialMgmtPreview: true }, 0x0a],
    [{ credentialMgmtPreview: true }, 0x41],
    [{ credMgmt: false }, undefined],
    [{}, undefined],
  ])('picks the command code from options %j', (options, code) => {
    expect(credentialManagementCommand({ options } as never)).toBe(code);
  });
});

async function keyWithCredentials(profile: ProfileName): Promise<{ key: VirtualKey; ids: Uint8Array[] }> {
  const key = new VirtualKey({ profile });
  const host = await CtapHost.open(key);
  const ids: Uint8Array[] = [];
  for (const [rpId, user] of [['a.example', 'u1'], ['a.example', 'u2'], ['b.example', 'u3']] as const) {
    const body = await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId, userId: utf8(user) }));
    ids.push(parseMakeCredential(body).credentialId);
  }
  expect(await new Platform(host).setPin('1234')).toBe(0);
  host.close();
  return { key, ids };
}

describe.each([
  ['fido-2.1', 1],
  ['fido-2.1', 2],
  ['fido-2.1-pre', 1],
  ['fido-2.1-pre', 2],
] as const)('CredentialManagement on a virtual %s key, PIN protocol %i', (profile, protocol) => {
  it('lists, renames and deletes with one token', async () => {
    const { key, ids } = await keyWithCredentials(profile);
    const device = await CtapHidDevice.open(await openSimTransport(key));
    const ctap = new Ctap2(device);
    const info = await ctap.getInfo();
    const token = await new ClientPin(ctap, info, { protocol }).getPinToken('1234', PERM_CM);
    const cm = new CredentialManagement(ctap, info, token);
    expect(cm.command).toBe(profile === 'fido-2.1' ? 0x0a : 0x41);
    const listing = await cm.listAll();
    expect(listing.metadata.existing).toBe(3);
    expect(listing.rps.map((r) => r.rp.id).sort()).toEqual(['a.example', 'b.example']);
    const all = listing.rps.flatMap((r) => r.credentials);
    expect(all.map((c) => hex(c.credentialId)).sort()).toEqual(ids.map(hex).sort());
    expect(all.every((c) => c.publicKey.algorithmName === 'ES256' && c.user.name === 'alice')).toBe(true);

    const target = all.find((c) => hex(c.credentialId) === hex(ids[1]!))!;
    const renamed = { id: target.user.id, name: 'bob', displayName: 'Bob' };
    if (profile === 'fido-2.1') await cm.updateUser(target.credentialId, renamed);
    else await expect(cm.updateUser(target.credentialId, renamed)).rejects.toMatchObject({ kind: 'unsupported' });
    await cm.delete(ids[0]!);
    const after = await cm.listAll();
    expect(after.metadata.existing).toBe(2);
    const left = after.rps.flatMap((r) => r.credentials);
    expect(left.map((c) => hex(c.credentialId)).sort()).toEqual([ids[1]!, ids[2]!].map(hex).sort());
    expect(left.find((c) => hex(c.credentialId) === hex(ids[1]!))!.user).toEqual(profile === 'fido-2.1' ? renamed : { id: utf8('u2'), name: 'alice', displayName: 'Alice' });
    await device.close();
  });
});

it('an empty key lists nothing after one metadata step', async () => {
  const key = new VirtualKey();
  const host = await CtapHost.open(key);
  expect(await new Platform(host, 1).setPin('1234')).toBe(0);
  const device = await CtapHidDevice.open(await openSimTransport(key));
  const ctap = new Ctap2(device);
  const info = await ctap.getInfo();
  const cm = new CredentialManagement(ctap, info, await new ClientPin(ctap, info, { protocol: 1 }).getPinToken('1234', PERM_CM));
  expect(await cm.listAll()).toEqual({ metadata: { existing: 0, remaining: expect.any(Number) }, rps: [] });
  expect(await cm.listRps()).toEqual([]);
  void pinProtocolV1;
  await device.close();
});

describe('largeBlobKey in enumerateCredentials (§6.8.4, member 0x0B)', () => {
  const user = `06a1${tstr('id')}${bstr('75')}`;
  const credId = `07a2${tstr('id')}${bstr('0102')}${tstr('type')}${tstr('public-key')}`;
  const publicKey = `08${coseHex('11'.repeat(32), '22'.repeat(32))}`;

  it('is exposed on the credential when the key sends it, and absent otherwise', () => {
    const lbk = '5a'.repeat(32);
    expect(hex(parseCredential(decodeCborMap(unhex(`a4${user}${credId}${publicKey}0b${bstr(lbk)}`))).credential.largeBlobKey!)).toBe(lbk);
    expect(parseCredential(decodeCborMap(unhex(`a3${user}${credId}${publicKey}`))).credential.largeBlobKey).toBeUndefined();
    expect(() => parseCredential(decodeCborMap(unhex(`a4${user}${credId}${publicKey}0b01`)))).toThrow(/largeBlobKey is not a byte string/);
  });

  it('a virtual key returns the key makeCredential gave for a credential made with the extension', async () => {
    const key = new VirtualKey();
    const host = await CtapHost.open(key);
    const made = await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'a.example', userId: utf8('u1'), extensions: { largeBlobKey: true } }));
    await host.ok(CTAP.makeCredential, makeCredentialParams({ rk: true, rpId: 'a.example', userId: utf8('u2') }));
    expect(await new Platform(host).setPin('1234')).toBe(0);
    host.close();
    const device = await CtapHidDevice.open(await openSimTransport(key));
    const ctap = new Ctap2(device);
    const info = await ctap.getInfo();
    const cm = new CredentialManagement(ctap, info, await new ClientPin(ctap, info).getPinToken('1234', PERM_CM));
    const all = (await cm.listAll()).rps.flatMap((r) => r.credentials);
    const withKey = all.find((c) => hex(c.credentialId) === hex(parseMakeCredential(made).credentialId))!;
    expect(hex(withKey.largeBlobKey!)).toBe(hex(made.get(5) as Uint8Array));
    expect(all.filter((c) => c.largeBlobKey === undefined)).toHaveLength(1);
    await device.close();
  });
});
