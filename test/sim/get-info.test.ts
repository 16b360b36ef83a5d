import { describe, expect, it } from 'vitest';
import type { CborValue } from '../../src/sim/cbor.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { CtapHost } from './harness.js';
import { CTAP, ST } from './platform.js';

async function info(key: VirtualKey): Promise<Map<CborValue, CborValue>> {
  const host = await CtapHost.open(key);
  try {
    return await host.ok(CTAP.getInfo);
  } finally {
    host.close();
  }
}

const options = (i: Map<CborValue, CborValue>): Map<CborValue, CborValue> => i.get(4) as Map<CborValue, CborValue>;

describe('getInfo per profile', () => {
  it('fido-2.1: versions, options, protocols [2, 1] and the 2.1 members', async () => {
    const i = await info(new VirtualKey());
    expect(i.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']);
    expect(i.get(2)).toEqual(['credProtect', 'minPinLength', 'largeBlobKey']);
    expect((i.get(3) as Uint8Array).length).toBe(16);
    // The AAGUID names the model: two keys of one profile share it, another profile differs.
    expect(i.get(3)).toEqual((await info(new VirtualKey())).get(3));
    expect(i.get(3)).not.toEqual((await info(new VirtualKey({ profile: 'fido-2.0' }))).get(3));
    expect(Object.fromEntries(options(i))).toEqual({
      rk: true,
      up: true,
      clientPin: false,
      credentialMgmtPreview: true,
      pinUvAuthToken: true,
      authnrCfg: true,
      credMgmt: true,
      alwaysUv: false,
      setMinPINLength: true,
      makeCredUvNotRqd: true,
      ep: false,
      largeBlobs: true,
    });
    expect(i.get(5)).toBe(1200);
    expect(i.get(6)).toEqual([2, 1]);
    expect(i.get(9)).toEqual(['usb']);
    expect(i.get(10)).toEqual([new Map<string, string | number>([['alg', -7], ['type', 'public-key']])]);
    expect(i.get(0x0b)).toBe(4096);
    expect(i.get(0x0c)).toBe(false);
    expect(i.get(0x0d)).toBe(4);
    expect(typeof i.get(0x0e)).toBe('number');
    expect(i.get(0x10)).toBe(4);
    expect(i.get(0x14)).toBe(25);
  });

  it('fido-2.1 with built-in UV reports uv and uvAcfg', async () => {
    const o = options(await info(new VirtualKey({ uv: true })));
    expect(o.get('uv')).toBe(true);
    expect(o.get('uvAcfg')).toBe(true);
  });

  it('fido-2.1-pre: no config, no permission tokens, no alwaysUv', async () => {
    const key = new VirtualKey({ profile: 'fido-2.1-pre' });
    const i = await info(key);
    expect(i.get(1)).toEqual(['FIDO_2_0', 'FIDO_2_1_PRE']);
    const o = options(i);
    for (const name of ['pinUvAuthToken', 'authnrCfg', 'alwaysUv', 'setMinPINLength', 'credMgmt']) expect(o.has(name), name).toBe(false);
    expect(o.get('credentialMgmtPreview')).toBe(true);
    expect(i.has(0x0d)).toBe(false);
    const host = await CtapHost.open(key);
    expect(await host.status(CTAP.config, new Map([[1, 2]]))).toBe(ST.INVALID_COMMAND);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2], [2, 9]]))).toBe(ST.INVALID_SUBCOMMAND);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2], [2, 6]]))).toBe(ST.INVALID_SUBCOMMAND);
    expect(await host.status(CTAP.selection)).toBe(ST.INVALID_COMMAND);
    host.close();
  });

  it('fido-2.0: FIDO_2_0 only, protocol 1 only', async () => {
    const key = new VirtualKey({ profile: 'fido-2.0' });
    const i = await info(key);
    expect(i.get(1)).toEqual(['FIDO_2_0']);
    expect(i.get(6)).toEqual([1]);
    expect(i.has(2)).toBe(false);
    expect(Object.fromEntries(options(i))).toEqual({ rk: true, up: true, clientPin: false });
    const host = await CtapHost.open(key);
    expect(await host.status(CTAP.clientPin, new Map([[1, 2], [2, 2]]))).toBe(ST.INVALID_PARAMETER);
    expect((await host.ok(CTAP.clientPin, new Map([[1, 1], [2, 2]]))).has(1)).toBe(true);
    host.close();
  });

  it('answers unknown CTAP commands with CTAP1_ERR_INVALID_COMMAND', async () => {
    const host = await CtapHost.open(new VirtualKey());
    for (const cmd of [0x00, 0x03, 0x05, 0x09, 0x40, 0x55, 0xff]) {
      expect(await host.status(cmd), `0x${cmd.toString(16)}`).toBe(ST.INVALID_COMMAND);
    }
    host.close();
  });
});
