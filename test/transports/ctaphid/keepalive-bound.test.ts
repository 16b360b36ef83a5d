import { describe, expect, it } from 'vitest';
import { Ctap2 } from '../../../src/ctap/ctap2.js';
import { CtapHidDevice } from '../../../src/transports/ctaphid/ctaphid.js';
import { miniKeyTransport } from './mini-key.js';
import { rejection } from '../../helpers/rejection.js';

/**
 * A key that answers every CBOR request with KEEPALIVE UPNEEDED forever.
 * Each keepalive restarts the idle timeout, but no request may wait past its
 * bound: the timeout, plus the touch bound for a request that may ask for a
 * touch. These tests end by the test timeout if the bound is missing.
 */

describe('a key that sends keepalives forever', () => {
  it('a request that asks for no touch ends at the timeout and never reports upneeded', async () => {
    const t = miniKeyTransport({ waitForTouch: true, keepaliveEveryMs: 20 });
    const dev = await CtapHidDevice.open(t, { timeoutMs: 150 });
    const seen: string[] = [];
    const e = await rejection(dev.cbor(Uint8Array.of(0x04), { mayTouch: false, onKeepalive: (s) => seen.push(s) }));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/kept saying it was busy \(KEEPALIVE\) for 150 ms without answering CBOR/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain('upneeded');
    await dev.close();
  }, 10_000);

  it('getInfo through Ctap2 is such a request', async () => {
    const t = miniKeyTransport({ waitForTouch: true, keepaliveEveryMs: 20 });
    const dev = await CtapHidDevice.open(t, { timeoutMs: 150, touchWaitMs: 60_000 });
    const seen: string[] = [];
    const e = await rejection(new Ctap2(dev, { onKeepalive: (s) => seen.push(s) }).getInfo());
    expect(e.kind).toBe('transport');
    expect(seen).not.toContain('upneeded');
    await dev.close();
  }, 10_000);

  it('a request that may ask for a touch reports upneeded and ends at timeout + touch bound', async () => {
    const t = miniKeyTransport({ waitForTouch: true, keepaliveEveryMs: 20 });
    const dev = await CtapHidDevice.open(t, { timeoutMs: 100, touchWaitMs: 200 });
    const seen: string[] = [];
    const e = await rejection(new Ctap2(dev, { onKeepalive: (s) => seen.push(s) }).selection());
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/for 300 ms without answering CBOR/);
    expect(seen).toContain('upneeded');
    await dev.close();
  }, 10_000);
});
