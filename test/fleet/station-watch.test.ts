/** watchStation over USB (HID) keys, with a fake enumeration: arrivals, removals, keys present at the start. */
import { describe, expect, it } from 'vitest';
import { type StationEvent, watchStation } from '../../src/fleet/station.js';
import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';
import type { Target } from '../../src/fleet/selection.js';

const rec = (n: number): HidDeviceRecord => ({ path: `/dev/hidraw${n}`, vendorId: 0x1050, productId: 0x407, serialNumber: `S${n}`, usagePage: 0xf1d0, usage: 1 }) as HidDeviceRecord;

/** Runs the station over a script of enumerations, one per look; stops after the last. */
async function run(script: number[][], includePresent: boolean): Promise<{ events: string[]; provisioned: string[] }> {
  const ac = new AbortController();
  let look = 0;
  const events: string[] = [];
  const provisioned: string[] = [];
  await watchStation<string>({
    hid: true,
    tcp: [],
    includePresent,
    pollMs: 1,
    signal: ac.signal,
    deps: {
      lister: async () => {
        const now = script[Math.min(look, script.length - 1)]!;
        if (++look > script.length) ac.abort();
        return now.map(rec);
      },
    },
    onEvent: (e: StationEvent<string>) => events.push(`${e.event} ${e.target.serial}`),
    provision: async (t: Target) => {
      provisioned.push(t.serial!);
      return { target: t, ok: true, value: 'done' };
    },
  });
  return { events, provisioned };
}

describe('watchStation (USB keys)', () => {
  it.each([
    {
      name: 'a key present at start is left alone; one plugged later is provisioned once while it stays',
      script: [[1], [1, 2], [1, 2], [1, 2], [1]],
      includePresent: false,
      provisioned: ['S2'],
      events: ['present S1', 'arrived S2', 'result S2', 'removed S2'],
    },
    {
      name: '--include-present: keys at start are provisioned too',
      script: [[1, 2], [1, 2]],
      includePresent: true,
      provisioned: ['S1', 'S2'],
      events: ['arrived S1', 'arrived S2', 'result S1', 'result S2'],
    },
    {
      name: 'removed and plugged in again: provisioned again (the journal decides whether anything is sent)',
      script: [[], [3], [3], [], [3], [3]],
      includePresent: false,
      provisioned: ['S3', 'S3'],
      events: ['arrived S3', 'result S3', 'removed S3', 'arrived S3', 'result S3'],
    },
  ])('$name', async ({ script, includePresent, provisioned, events }) => {
    const r = await run(script, includePresent);
    expect(r.provisioned).toEqual(provisioned);
    expect(r.events).toEqual(events);
  });
});
