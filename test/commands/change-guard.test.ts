import { describe, expect, it } from 'vitest';
import { ChangeGuard } from '../../src/commands/change-guard.js';
import { encodeRequest, type CborRequestOptions } from '../../src/ctap/ctap2.js';
import { Fido2Error } from '../../src/errors.js';

const TOGGLE_ALWAYS_UV = encodeRequest(0x0d, new Map([[1, 2]]));
const SET_MIN_PIN_LENGTH = encodeRequest(0x0d, new Map([[1, 3]]));
const GET_INFO = encodeRequest(0x04);

/** A key that accepts everything and records the signal each request came with. */
function fakeKey(): { sent: Array<{ cmd: number; signal: AbortSignal | undefined }>; cbor(r: Uint8Array, o?: CborRequestOptions): Promise<Uint8Array> } {
  const sent: Array<{ cmd: number; signal: AbortSignal | undefined }> = [];
  return { sent, cbor: async (r, o) => (sent.push({ cmd: r[0]!, signal: o?.signal }), Uint8Array.of(0)) };
}

describe('ChangeGuard: the point of no return', () => {
  it('before any change, every request carries the Ctrl-C signal', async () => {
    const key = fakeKey();
    const ctrlC = new AbortController();
    const g = new ChangeGuard(key, ctrlC.signal);
    await g.cbor(GET_INFO);
    expect(key.sent[0]!.signal).toBe(ctrlC.signal);
    ctrlC.abort();
    expect(g.pastPointOfNoReturn).toBe(false);
  });

  it('after an applied change, Ctrl-C lets reads through and holds back the next change (partial, cancelled-after-change)', async () => {
    const key = fakeKey();
    const ctrlC = new AbortController();
    const g = new ChangeGuard(key, ctrlC.signal);
    await g.cbor(TOGGLE_ALWAYS_UV);
    expect(key.sent[0]!.signal).toBe(ctrlC.signal);
    ctrlC.abort();
    expect(g.pastPointOfNoReturn).toBe(true);
    await g.cbor(GET_INFO);
    expect(key.sent[1]!.signal).toBeUndefined();
    const held = await g.cbor(SET_MIN_PIN_LENGTH).catch((e: unknown) => e);
    expect(held).toBeInstanceOf(Fido2Error);
    expect((held as Fido2Error).kind).toBe('cancelled');
    expect(key.sent).toHaveLength(2);
    const e = await g.cancelledAfterChange(held);
    expect(e).toMatchObject({ kind: 'partial', reason: 'cancelled-after-change' });
    expect(e.message).toMatch(/^Cancelled after the key applied authenticatorConfig toggleAlwaysUv; /);
  });

  it('a change the key refused is not counted as applied', async () => {
    const ctrlC = new AbortController();
    const g = new ChangeGuard({ cbor: async () => Uint8Array.of(0x27) }, ctrlC.signal);
    await g.cbor(TOGGLE_ALWAYS_UV);
    ctrlC.abort();
    expect(g.applied).toEqual([]);
    expect(g.pastPointOfNoReturn).toBe(false);
  });
});
