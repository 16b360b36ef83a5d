import { afterEach, describe, expect, it } from 'vitest';
import { applyPolicy } from '../../src/index.js';
import { clientPinSubCommand, USB_KEY_LATENCY, withLatency } from '../../src/sim/latency.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { startSimServer } from '../../src/sim/server.js';
import { runCli, startKey, type KeyUnderTest } from '../commands/harness.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** An init packet of CTAPHID_CBOR carrying a clientPIN request {1: protocol, 2: sub}. */
const clientPinPacket = (sub: number, cmd = 0x06): Uint8Array => Uint8Array.from([1, 2, 3, 4, 0x90, 0, 6, cmd, 0xa2, 0x01, 0x02, 0x02, sub, ...new Array(52).fill(0)]);

describe('USB-key latency model', () => {
  it.each([
    [0x02, 0x02],
    [0x09, 0x09],
    [0x01, 0x01],
  ])('reads clientPIN subCommand 0x%s', (sub, expected) => {
    expect(clientPinSubCommand(clientPinPacket(sub))).toBe(expected);
  });
  it('ignores other commands', () => {
    expect(clientPinSubCommand(clientPinPacket(2, 0x0d))).toBeUndefined();
  });

  it('keeps every report in order: a whole apply runs through keys with the model', async () => {
    const devices: string[] = [];
    for (let i = 0; i < 4; i++) {
      const server = await startSimServer(withLatency(new VirtualKey(), USB_KEY_LATENCY), { host: '127.0.0.1', port: 0 });
      closers.push(() => server.close());
      devices.push(`tcp:127.0.0.1:${server.port}`);
    }
    const results = await applyPolicy(devices, { pin: true, minPinLength: { length: 6 }, alwaysUv: true }, { pin: '75319864' });
    expect(results.map((r) => [r.ok, r.after?.alwaysUv, r.after?.minPinLength])).toEqual(Array(4).fill([true, true, 6]));
  });
});

describe('touch requests on many keys', () => {
  it('names each key that waits for a touch', async () => {
    const keys: KeyUnderTest[] = [await startKey({ presence: { delayMs: 300 } }), await startKey({ presence: { delayMs: 300 } })];
    closers.push(async () => {
      for (const k of keys) await k.close();
    });
    const r = await runCli(['reset', '--yes', '--device', keys.map((k) => k.device).join(',')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`key 1 (${keys[0]!.device}): touch it`);
    expect(r.stderr).toContain(`key 2 (${keys[1]!.device}): touch it`);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 keys done.');
  });
});
