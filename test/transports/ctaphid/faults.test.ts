/**
 * The client over a fault-injecting link to a small in-memory key: every
 * scenario ends in success or a clear Fido2Error within its timeout, never a
 * hang and never another exception type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fido2Error } from '../../../src/errors.js';
import { CtapHidDevice, CtapHidError } from '../../../src/transports/ctaphid/ctaphid.js';
import { type FaultOptions, withFaults } from '../../helpers/fault-transport.js';
import { type MiniKeyOptions, miniKeyTransport } from './mini-key.js';

const TIMEOUT = 200;
const REQUEST = Uint8Array.from({ length: 180 }, (_, i) => i); // 4 packets each way

async function session(faults: FaultOptions, key: MiniKeyOptions = {}) {
  const t = withFaults(miniKeyTransport(key), faults);
  const dev = await CtapHidDevice.open(t, { timeoutMs: TIMEOUT });
  return { t, dev };
}

/** Runs fn and returns 'ok' or the Fido2Error, failing on anything else or on a hang. */
async function outcome(fn: () => Promise<unknown>, boundMs: number): Promise<'ok' | Fido2Error> {
  const started = Date.now();
  try {
    await fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof Fido2Error)) throw e;
    expect(e.message).not.toContain('\n');
    return e;
  } finally {
    expect(Date.now() - started).toBeLessThan(boundMs);
  }
}

describe('fault wrapper scenarios', () => {
  it('a clean wrapper is transparent', async () => {
    const { t, dev } = await session({});
    expect(await dev.cbor(REQUEST)).toEqual(Uint8Array.from([0, ...REQUEST]));
    expect(Object.values(t.faults).every((n) => n === 0)).toBe(true);
  });

  it('foreign-channel replies are ignored', async () => {
    const { t, dev } = await session({ foreignRate: 1 });
    expect(await dev.ping(REQUEST)).toEqual(REQUEST);
    expect(t.faults.foreign).toBeGreaterThan(0);
  });

  it('spurious keepalives are surfaced and harmless', async () => {
    const { t, dev } = await session({ keepaliveRate: 0.7, seed: 3 });
    const seen: string[] = [];
    expect(await dev.cbor(REQUEST, { onKeepalive: (s) => seen.push(s) })).toEqual(Uint8Array.from([0, ...REQUEST]));
    expect(t.faults.keepalive).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('a short CHANNEL_BUSY storm is ridden out', async () => {
    const { t, dev } = await session({ busyStorm: 3 });
    expect(await dev.ping(REQUEST)).toEqual(REQUEST);
    expect(t.faults.busy).toBe(3);
  });

  it('an endless CHANNEL_BUSY storm ends in a named error', async () => {
    const { dev } = await session({ busyStorm: 1000, busySkipInit: true });
    const r = await outcome(() => dev.ping(REQUEST), 3000);
    expect(r).toBeInstanceOf(CtapHidError);
    expect((r as CtapHidError).codeName).toBe('CHANNEL_BUSY');
  });

  it('slow replies within the idle timeout still succeed', async () => {
    const { dev } = await session({ delayMs: 30 });
    expect(await dev.ping(REQUEST)).toEqual(REQUEST);
  });

  it('replies slower than the timeout fail as a timeout', async () => {
    const { dev } = await session({ delayMs: 30 });
    const r = await outcome(() => dev.cbor(REQUEST, { timeoutMs: 10 }), 1000);
    expect(r).toBeInstanceOf(Fido2Error);
    expect((r as Fido2Error).message).toMatch(/No reply|Truncated/);
  });

  it('a key vanishing mid-transaction is a transport error', async () => {
    const { dev } = await session({ vanishAfterReads: 3 });
    const r = await outcome(() => dev.cbor(REQUEST), 1000);
    expect((r as Fido2Error).kind).toBe('transport');
    expect((r as Fido2Error).message).toMatch(/disconnected/);
  });

  it('a key going silent mid-message is a truncation error within the timeout', async () => {
    const { dev } = await session({ vanishAfterReads: 2, vanishMode: 'silent' });
    const r = await outcome(() => dev.cbor(REQUEST), TIMEOUT + 500);
    expect((r as Fido2Error).message).toMatch(/^Truncated reply/);
  });

  it('dropped replies end in a timeout error naming the request', async () => {
    const r = await outcome(() => CtapHidDevice.open(withFaults(miniKeyTransport(), { dropRate: 1 }), { timeoutMs: 100 }), 1000);
    expect((r as Fido2Error).message).toMatch(/No reply from the security key within 100 ms to INIT/);
  });

  it('a dropped request packet ends in a clear error', async () => {
    const { dev } = await session({ dropRate: 1, dropDirections: ['out'], busySkipInit: true }).catch(() => ({ dev: undefined }));
    expect(dev).toBeUndefined(); // INIT itself never arrives
  });

  it('reordered packets of a reply are a clear SEQ error', async () => {
    const { t, dev } = await session({ reorderRate: 1, busySkipInit: true });
    const r = await outcome(() => dev.ping(REQUEST), 1000);
    expect(t.faults.reorder).toBeGreaterThan(0);
    expect((r as Fido2Error).message).toMatch(/Malformed reply/);
  });

  it('a duplicated packet is a clear error', async () => {
    const { dev } = await session({ duplicateRate: 1 });
    const r = await outcome(() => dev.ping(REQUEST), 1000);
    expect((r as Fido2Error).message).toMatch(/Malformed reply/);
  });

  it('cancel through the wrapper reaches the key', async () => {
    const { dev } = await session({ foreignRate: 0.5, keepaliveRate: 0.3 }, { waitForTouch: true });
    const abort = new AbortController();
    const r = await outcome(
      () => dev.cbor(REQUEST, { signal: abort.signal, onKeepalive: (s) => s === 'upneeded' && abort.abort() }),
      2000,
    );
    expect((r as Fido2Error).kind).toBe('cancelled');
  });

  it('random fault mixes always end in success or a Fido2Error within the time bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          dropRate: fc.constantFrom(0, 0.05, 0.3),
          dropDirections: fc.constantFrom<Array<'in' | 'out'>>(['in'], ['out'], ['in', 'out']),
          duplicateRate: fc.constantFrom(0, 0.1),
          reorderRate: fc.constantFrom(0, 0.1),
          foreignRate: fc.constantFrom(0, 0.3),
          keepaliveRate: fc.constantFrom(0, 0.3),
          busyStorm: fc.integer({ min: 0, max: 8 }),
          vanishAfterReads: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
          vanishMode: fc.constantFrom<'error' | 'silent'>('error', 'silent'),
          delayMs: fc.constantFrom(0, 5),
        }),
        async (faults) => {
          const t = withFaults(miniKeyTransport(), faults);
          // INIT + one CBOR; each transaction is bounded by busy backoff + idle timeouts.
          await outcome(async () => {
            const dev = await CtapHidDevice.open(t, { timeoutMs: 60 });
            await dev.cbor(REQUEST);
          }, 5000);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
