import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fido2Error } from '../../../src/errors.js';
import { CtapHidDevice } from '../../../src/transports/ctaphid/ctaphid.js';
import { type SimKey, openSimTransport } from '../../../src/transports/in-process/sim-transport.js';
import { MiniKey } from '../ctaphid/mini-key.js';

/** A stand-in with the VirtualKey connect() shape, backed by the MiniKey. */
function fakeSimKey(): SimKey & { closed: number } {
  const fake = {
    closed: 0,
    connect(onReport: (r: Uint8Array) => void) {
      const key = new MiniKey(onReport);
      return {
        write: (r: Uint8Array) => key.receive(r),
        close: () => {
          fake.closed++;
        },
      };
    },
  };
  return fake;
}

describe('openSimTransport', () => {
  it('runs INIT + PING through a connect()-style key, including synchronous replies', async () => {
    const key = fakeSimKey();
    const t = await openSimTransport(key);
    expect(t.label).toBe('sim');
    const dev = await CtapHidDevice.open(t, { timeoutMs: 1000 });
    const data = Uint8Array.from({ length: 400 }, (_, i) => i & 0xff);
    expect(await dev.ping(data)).toEqual(data);
    await dev.close();
    await dev.close();
    expect(key.closed).toBe(1);
  });

  it('rejects I/O after close', async () => {
    const t = await openSimTransport(fakeSimKey());
    await t.close();
    await expect(t.write(new Uint8Array(64))).rejects.toBeInstanceOf(Fido2Error);
    await expect(t.read(10)).rejects.toBeInstanceOf(Fido2Error);
  });

  it('turns a throwing key into a transport error', async () => {
    const t = await openSimTransport({
      connect: () => ({
        write: () => {
          throw new Error('kaboom');
        },
        close: () => undefined,
      }),
    });
    await expect(t.write(new Uint8Array(64))).rejects.toThrow(/The virtual key failed \(kaboom\)/);
  });

  it.runIf(existsSync(new URL('../../src/sim/virtual-key.ts', import.meta.url)))(
    'opens the real in-process VirtualKey by default (INIT + PING)',
    async () => {
      const dev = await CtapHidDevice.open(await openSimTransport(), { timeoutMs: 3000 });
      expect(dev.capabilities.cbor).toBe(true);
      expect(await dev.ping(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
      await dev.close();
    },
  );
});
