import { describe, expect, it } from 'vitest';
import { Command, Ctap2, encodeRequest, parseResponse, type CborChannel } from '../../src/ctap/ctap2.js';
import { CtapError } from '../../src/ctap/errors.js';
import { Fido2Error } from '../../src/errors.js';
import { hex, ScriptedChannel, unhex } from './helpers.js';

describe('Ctap2', () => {
  it('encodes command byte plus canonical CBOR, or the bare command', () => {
    expect(hex(encodeRequest(0x04))).toBe('04');
    expect(hex(encodeRequest(0x06, new Map([[2, 1], [1, 2]])))).toBe('06a201020201');
    expect(() => encodeRequest(256)).toThrow(RangeError);
  });

  it('parses replies: success without body, map body, status errors, malformed', () => {
    expect(parseResponse(unhex('00'))).toBeUndefined();
    expect(parseResponse(unhex('00a10102'))?.get(1)).toBe(2);
    expect(() => parseResponse(unhex('31'))).toThrow(CtapError);
    expect(() => parseResponse(new Uint8Array())).toThrow(/malformed reply: empty reply/);
    expect(() => parseResponse(unhex('0001'))).toThrow(/expected a CBOR map/);
    expect(() => parseResponse(unhex('00a1010203'))).toThrow(/trailing/);
  });

  it('send throws CtapError with status and kind', async () => {
    const ctap = new Ctap2(new ScriptedChannel([{ request: '07', reply: '27' }]));
    const err = await ctap.reset().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtapError);
    expect((err as CtapError).status).toBe(0x27);
    expect((err as CtapError).kind).toBe('presence-denied');
  });

  it('getInfo sends 0x04 and parses the reply; an empty success is malformed', async () => {
    const ok = new Ctap2(new ScriptedChannel([{ request: '04', reply: '00a2' + '0181684649444f5f325f31' + '0350' + '11'.repeat(16) }]));
    const info = await ok.getInfo();
    expect(info.versions).toEqual(['FIDO_2_1']);
    expect(info.aaguid).toBe('11111111-1111-1111-1111-111111111111');
    const empty = new Ctap2(new ScriptedChannel([{ request: '04', reply: '00' }]));
    await expect(empty.getInfo()).rejects.toThrow(Fido2Error);
  });

  it('selection sends 0x0b; keepalive callback and signal reach the channel', async () => {
    const seen: unknown[] = [];
    const channel: CborChannel = {
      async cbor(request, opts) {
        seen.push(hex(request), opts);
        opts?.onKeepalive?.('upneeded');
        return unhex('00');
      },
    };
    const statuses: string[] = [];
    const ac = new AbortController();
    const ctap = new Ctap2(channel, { onKeepalive: (s) => statuses.push(s), signal: ac.signal });
    await ctap.selection();
    expect(seen[0]).toBe('0b');
    expect((seen[1] as { signal: AbortSignal }).signal).toBe(ac.signal);
    expect(statuses).toEqual(['upneeded']);
    // per-call options override the constructor's
    const other: string[] = [];
    await ctap.reset({ onKeepalive: (s) => other.push(s) });
    expect(seen[2]).toBe('07');
    expect(other).toEqual(['upneeded']);
    expect(statuses).toEqual(['upneeded']);
  });

  it('command constants match CTAP 2.1 §6', () => {
    expect(Command).toMatchObject({ makeCredential: 1, getAssertion: 2, getInfo: 4, clientPIN: 6, reset: 7, selection: 0x0b, config: 0x0d });
  });
});
