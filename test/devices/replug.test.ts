import { describe, expect, it } from 'vitest';
import { replugStep, type ReplugState } from '../../src/devices/replug.js';
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
