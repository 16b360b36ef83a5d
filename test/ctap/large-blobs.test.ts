import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makePinUvAuthToken } from '../../src/ctap/client-pin.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { CtapError } from '../../src/ctap/errors.js';
import {
  LargeBlobError,
  LargeBlobs,
  largeBlobWriteMessage,
  maxFragmentLength,
  maxSerializedLargeBlobArray,
  planFragments,
} from '../../src/ctap/large-blobs.js';
import { pinProtocolV1, pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { baseInfo, bstr, hex, uint, unhex, ScriptedChannel, type Exchange } from './helpers.js';

const sha256 = (b: Uint8Array | Buffer): Buffer => createHash('sha256').update(b).digest();

/** maxMsgSize 84: fragments of 20 bytes, so a few dozen bytes take several round trips. */
const INFO = baseInfo({ options: { clientPin: true, pinUvAuthToken: true, largeBlobs: true }, maxMsgSize: 84, maxSerializedLargeBlobArray: 1024 });

/** A serialized array built by hand: [text of n letters] || LEFT(SHA-256, 16). */
function serializedWithText(n: number): Uint8Array {
  const letters = Buffer.from('x'.repeat(n));
  const array = Buffer.concat([Buffer.from([0x81, 0x78, n]), letters]);
  return new Uint8Array(Buffer.concat([array, sha256(array).subarray(0, 16)]));
}

const readStep = (offset: number, reply: Uint8Array): Exchange => ({ request: `0ca2${'01' + uint(20)}03${uint(offset)}`, reply: `00a101${bstr(hex(reply))}` });

function readScript(serialized: Uint8Array): Exchange[] {
  const steps: Exchange[] = [];
  for (let offset = 0; ; offset += 20) {
    const part = serialized.subarray(offset, offset + 20);
    steps.push(readStep(offset, part));
    if (part.length < 20) return steps;
  }
}

describe('authenticatorLargeBlobs messages (CTAP 2.1 §6.10)', () => {
  it('maxFragmentLength is maxMsgSize − 64, with 1024 when the key does not say', () => {
    expect(maxFragmentLength(baseInfo({ maxMsgSize: 1200 }))).toBe(1136);
    expect(maxFragmentLength(baseInfo())).toBe(960);
  });

  it('a key that leaves out maxSerializedLargeBlobArray is held to the 1024 bytes every such key must offer', () => {
    const info = baseInfo({ options: { largeBlobs: true } });
    expect(maxSerializedLargeBlobArray(info)).toBe(1024);
    expect(new LargeBlobs(new Ctap2(new ScriptedChannel([])), info).maxSerializedLength).toBe(1024);
  });

  it('a maxMsgSize that leaves no room for a fragment is a malformed getInfo', () => {
    expect(() => new LargeBlobs(new Ctap2(new ScriptedChannel([])), baseInfo({ options: { largeBlobs: true }, maxMsgSize: 64 }))).toThrow(/leaves no room/);
  });

  it.each([
    [0, 20, []],
    [17, 20, [[0, 17]]],
    [40, 20, [[0, 20], [20, 20]]],
    [45, 20, [[0, 20], [20, 20], [40, 5]]],
  ])('%i bytes in fragments of %i', (total, size, expected) => {
    expect(planFragments(total, size).map((f) => [f.offset, f.length])).toEqual(expected);
  });

  it('a write authenticates 32×0xff || 0c 00 || uint32LE(offset) || SHA-256(fragment)', () => {
    const fragment = unhex('0102030405');
    expect(hex(largeBlobWriteMessage(0x01020304, fragment))).toBe('ff'.repeat(32) + '0c00' + '04030201' + sha256(fragment).toString('hex'));
  });
});

describe('LargeBlobs against a scripted key', () => {
  it.each([
    ['ends on a short fragment', 28],
    ['ends on an empty fragment when the size is a multiple of 20', 21],
    ['fits in one fragment', 0],
  ])('reads the array in fragments: %s', async (_why, n) => {
    const serialized = serializedWithText(n);
    const channel = new ScriptedChannel(readScript(serialized));
    const lb = new LargeBlobs(new Ctap2(channel), INFO);
    const array = await lb.read();
    channel.done();
    expect(hex(array.serialized)).toBe(hex(serialized));
    expect(array.damage).toBeUndefined();
    expect(array.items).toEqual([{ raw: 'x'.repeat(n) }]);
  });

  it('reads a damaged array as empty and says so', async () => {
    const serialized = serializedWithText(3);
    serialized[serialized.length - 1]! ^= 1;
    const lb = new LargeBlobs(new Ctap2(new ScriptedChannel(readScript(serialized))), INFO);
    expect(await lb.read()).toMatchObject({ items: [], damage: 'hash-mismatch' });
  });

  it('refuses a fragment longer than asked for', async () => {
    const lb = new LargeBlobs(new Ctap2(new ScriptedChannel([readStep(0, new Uint8Array(21))])), INFO);
    await expect(lb.read()).rejects.toThrow(/fragment of 21 bytes/);
  });

  it('stops a key that keeps sending past its own limit', async () => {
    const steps = Array.from({ length: 53 }, (_, i) => readStep(i * 20, new Uint8Array(20)));
    const lb = new LargeBlobs(new Ctap2(new ScriptedChannel(steps)), INFO);
    await expect(lb.read()).rejects.toThrow(/past the key's own limit of 1024/);
  });

  it.each([
    ['protocol 2', pinProtocolV2, 32],
    ['protocol 1', pinProtocolV1, 16],
  ] as const)('writes in fragments, length on the first only, each authenticated (%s)', async (_name, protocol, macLength) => {
    const token = makePinUvAuthToken(protocol, new Uint8Array(32).fill(7), 0x10);
    const serialized = serializedWithText(28); // 47 bytes: 20 + 20 + 7
    const param = (offset: number, fragment: Uint8Array): string => {
      const message = Buffer.concat([Buffer.alloc(32, 0xff), Buffer.from([0x0c, 0x00]), Buffer.from([offset, 0, 0, 0]), sha256(fragment)]);
      return createHmac('sha256', Buffer.alloc(32, 7)).update(message).digest().subarray(0, macLength).toString('hex');
    };
    const step = (offset: number): Exchange => {
      const fragment = serialized.subarray(offset, offset + 20);
      const head = offset === 0 ? `a502${bstr(hex(fragment))}0300` + `04${uint(47)}` : `a402${bstr(hex(fragment))}03${uint(offset)}`;
      return { request: `0c${head}05${bstr(param(offset, fragment))}06${uint(protocol.version)}`, reply: '00' };
    };
    const channel = new ScriptedChannel([step(0), step(20), step(40)]);
    await new LargeBlobs(new Ctap2(channel), INFO).writeSerialized(serialized, token);
    channel.done();
  });

  it('writes without pinUvAuthParam when given no token (a key with neither PIN nor UV)', async () => {
    const serialized = serializedWithText(1);
    const channel = new ScriptedChannel([{ request: `0ca302${bstr(hex(serialized))}0300` + `04${uint(serialized.length)}`, reply: '00' }]);
    await new LargeBlobs(new Ctap2(channel), INFO).writeSerialized(serialized);
    channel.done();
  });

  it('refuses an array over maxSerializedLargeBlobArray before sending anything', async () => {
    const channel = new ScriptedChannel([]);
    const lb = new LargeBlobs(new Ctap2(channel), { ...INFO, maxSerializedLargeBlobArray: 1024 });
    const err = await lb.write(['y'.repeat(1100)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LargeBlobError);
    expect(err).toMatchObject({ name: 'LargeBlobError', code: 'too-large', kind: 'storage-full' });
    expect(channel.seen).toEqual([]);
  });

  it('passes on the key refusing a fragment (INTEGRITY_FAILURE) as a named CtapError', async () => {
    const serialized = serializedWithText(1);
    const channel = new ScriptedChannel([{ request: `0ca302${bstr(hex(serialized))}0300` + `04${uint(serialized.length)}`, reply: '3d' }]);
    const err = await new LargeBlobs(new Ctap2(channel), INFO).writeSerialized(serialized).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtapError);
    expect((err as CtapError).statusName).toBe('CTAP2_ERR_INTEGRITY_FAILURE');
  });

  it.each([
    ['a CTAP 2.1 key without the option', baseInfo()],
    ['a key that says false', baseInfo({ options: { largeBlobs: false } })],
  ])('%s has no large blobs: unsupported, nothing sent', (_why, info) => {
    const channel = new ScriptedChannel([]);
    expect(() => new LargeBlobs(new Ctap2(channel), info)).toThrow(expect.objectContaining({ code: 'unsupported', kind: 'unsupported' }));
    expect(channel.seen).toEqual([]);
  });
});
