import { describe, expect, it } from 'vitest';
import { openWhenSettled, replugStep, type ReplugState } from '../../src/devices/replug.js';
import { Fido2Error } from '../../src/errors.js';
import type { DeviceInfo } from '../../src/devices/discovery.js';

const dev = (path: string, serialNumber?: string, productId = 0x0407): DeviceInfo => ({
  index: 1,
  path,
  vendorId: 0x1050,
  productId,
  ...(serialNumber === undefined ? {} : { serialNumber }),
});
const target = dev('/dev/hidraw1', 'S1');
const bare = dev('/dev/hidraw1');
const waiting = (...paths: string[]): ReplugState => ({ phase: 'waiting-return', remaining: new Set(paths) });

describe('replugStep: how the guided reset follows the device list', () => {
  const cases: Array<[string, DeviceInfo, ReplugState, DeviceInfo[], ReplugState['phase'], string?]> = [
    ['still plugged in', target, { phase: 'waiting-removal' }, [target], 'waiting-removal'],
    ['unplugged', target, { phase: 'waiting-removal' }, [dev('/dev/hidraw2', 'OTHER')], 'waiting-return'],
    ['nothing new yet', target, waiting('/dev/hidraw2'), [dev('/dev/hidraw2', 'OTHER')], 'waiting-return'],
    ['back under a new path', target, waiting(), [dev('/dev/hidraw9', 'S1')], 'back', '/dev/hidraw9'],
    ['back under the same path', target, waiting(), [target], 'back', '/dev/hidraw1'],
    ['another key with its own serial', target, waiting(), [dev('/dev/hidraw9', 'S2')], 'wrong-key', '/dev/hidraw9'],
    ['no serial: the only new device of the same model', bare, waiting(), [dev('/dev/hidraw4')], 'back', '/dev/hidraw4'],
    ['no serial: a new device of another model', bare, waiting(), [dev('/dev/hidraw4', undefined, 0x0120)], 'wrong-key'],
    ['no serial: two new devices', bare, waiting(), [dev('/dev/hidraw4'), dev('/dev/hidraw5')], 'wrong-key'],
  ];
  it.each(cases)('%s', (_name, t, state, now, phase, path) => {
    const next = replugStep(t, state, now);
    expect(next.phase).toBe(phase);
    if (path) expect((next as { device: DeviceInfo }).device.path).toBe(path);
  });

  it('a key unplugged meanwhile and plugged back counts as new', () => {
    let s = replugStep(bare, waiting('/dev/hidraw2'), []);
    expect(s).toEqual(waiting());
    s = replugStep(bare, s, [dev('/dev/hidraw2')]);
    expect(s.phase).toBe('back');
  });
});

describe('openWhenSettled: a key that just came back', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };
  const failing = (errors: unknown[]) => {
    let calls = 0;
    return {
      open: async () => {
        const e = errors[calls++];
        if (e) throw e;
        return 'opened';
      },
      calls: () => calls,
    };
  };
  const notReady = new Fido2Error('transport', "Cannot open the security key at /dev/hidraw0 (ioctl(GRDESCSIZE) error); close programs using it and retry");

  it.each([
    ['a node that opens at once', [], 'opened', 1],
    ['a node whose first opens fail (udev, driver binding)', [notReady, new Fido2Error('no-device', 'gone'), notReady], 'opened', 4],
  ])('%s is opened', async (_name, errors, result, calls) => {
    const f = failing(errors);
    await expect(openWhenSettled(f.open, clock())).resolves.toBe(result);
    expect(f.calls()).toBe(calls);
  });

  it('gives up with the last error once the settle time has passed', async () => {
    const f = failing(Array.from({ length: 1000 }, () => notReady));
    await expect(openWhenSettled(f.open, { ...clock(), settleMs: 1000, pollMs: 100 })).rejects.toBe(notReady);
    expect(f.calls()).toBe(11);
  });

  it('does not retry what is not about the node being ready (Ctrl-C)', async () => {
    const cancelled = new Fido2Error('cancelled', 'Cancelled');
    const f = failing([cancelled]);
    await expect(openWhenSettled(f.open, clock())).rejects.toBe(cancelled);
    expect(f.calls()).toBe(1);
  });
});
