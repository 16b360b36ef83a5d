import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, startKey, type KeyUnderTest } from './harness.js';
import { record } from '../helpers/hid-records.js';
import { runReset, type ResetDeps } from '../../src/commands/device/reset.js';
import { EXIT_CODES } from '../../src/exit-codes.js';
import { Fido2Error } from '../../src/errors.js';
import { openSimTransport } from '../../src/transports/in-process/sim-transport.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';
import { Platform } from '../sim/platform.js';
import { CtapHost } from '../sim/harness.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
  vi.restoreAllMocks();
});

/** Pulls the served key out when the tool asks, and plugs it back in a moment later. */
function replugWhenAsked(key: KeyUnderTest, delayMs = 300) {
  let asked = false;
  return (text: string) => {
    if (asked || !/Restart the software key/.test(text)) return;
    asked = true;
    void key.unplug().then(() => setTimeout(() => void key.plugIn(), delayMs));
  };
}

async function withPin(key: KeyUnderTest): Promise<void> {
  expect((await runCli(['set-pin', '--device', key.device], { env: { FIDO2_PIN: '2468' } })).code).toBe(0);
}

describe('guided reset of a software key (a power cycle stands in for the replug)', () => {
  it('waits for the key to go and come back, then resets it with a touch', async () => {
    k = await startKey({ presence: { delayMs: 200 } });
    await withPin(k);
    const r = await runCli(['reset', '--yes', '--device', k.device, '--json'], { onStderr: replugWhenAsked(k) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Restart the software key[\s\S]*The key is out\. Plug it back in now[\s\S]*Touch your security key/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, reset: true, before: { pinSet: true }, after: { pinSet: false, alwaysUv: false, minPinLength: 4 } });
    expect(k.key.snapshot().pin).toBeUndefined();
  });

  it.each([[false], [true]])('Ctrl-C while it waits for the replug says so and exits 130, nothing reset (--json %s)', async (json) => {
    k = await startKey();
    await withPin(k);
    let sent = false;
    const r = await runCli(['reset', '--yes', '--device', k.device, ...(json ? ['--json'] : [])], {
      onStderr: (text, child) => {
        if (sent || !/Restart the software key/.test(text)) return;
        sent = true;
        child.kill('SIGINT');
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/fido2-manage: Cancelled; nothing was changed on the key\./);
    if (json) expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'cancelled', exitCode: 130 } });
    else expect(r.stdout).toBe('');
    expect(k.ctapCommands).not.toContain(0x07);
    expect(k.key.snapshot().pin).toBeDefined();
  });

  it('a key whose reset window has passed by the time it is back: exit 15, run again and touch sooner', async () => {
    k = await startKey({ resetWindowSeconds: 0.001 });
    await withPin(k);
    const r = await runCli(['reset', '--yes', '--device', k.device], { onStderr: replugWhenAsked(k) });
    expect(r.code).toBe(15);
    expect(r.stderr).toMatch(/touch sooner after plugging in/);
    expect(k.key.snapshot().pin).toBeDefined();
  });

  it('--no-replug resets at once; outside the window it says to replug instead', async () => {
    k = await startKey({ resetWindowSeconds: 0.001 });
    await withPin(k);
    const late = await runCli(['reset', '--yes', '--no-replug', '--device', k.device]);
    expect(late.code).toBe(15);
    expect(late.stderr).toMatch(/without --no-replug/);
    await k.close();
    k = await startKey({});
    await withPin(k);
    expect((await runCli(['reset', '--yes', '--no-replug', '--device', k.device])).code).toBe(0);
    expect(k.key.snapshot().pin).toBeUndefined();
  });

  it('a touch denied is exit 16, no touch in time exit 10; nothing is erased', async () => {
    k = await startKey({ presence: 'deny' });
    await withPin(k);
    expect((await runCli(['reset', '--yes', '--no-replug', '--device', k.device])).code).toBe(16);
    await k.close();
    k = await startKey({ presence: { delayMs: 60_000 }, userActionTimeoutMs: 300 });
    await withPin(k);
    const r = await runCli(['reset', '--yes', '--no-replug', '--device', k.device]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/not touched in time/);
    expect(k.key.snapshot().pin).toBeDefined();
  });

  it('asks for --yes without a terminal, and says what a reset erases', async () => {
    k = await startKey({});
    const r = await runCli(['reset', '--device', k.device]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/every passkey.*PIN.*fingerprints.*large blobs.*always-UV.*minimum PIN length.*--yes/);
  });
});

/** A fake USB bus: the device list changes as the test says, HID paths open onto virtual keys. */
function fakeBus(steps: HidDeviceRecord[][], keys: Record<string, VirtualKey>) {
  let i = 0;
  let clock = 0;
  const deps: ResetDeps = {
    lister: async () => steps[Math.min(i++, steps.length - 1)]!,
    openHid: async (path) => openSimTransport(keys[path]),
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    replugTimeoutMs: 5_000,
  };
  return deps;
}

async function keyWithPin(): Promise<VirtualKey> {
  const key = new VirtualKey();
  const host = await CtapHost.open(key);
  await new Platform(host).setPin('2468');
  host.close();
  return key;
}

async function resetError(deps: ResetDeps, device?: string): Promise<Fido2Error> {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const e = await runReset({ yes: true }, device ? { device, timeout: '10' } : { timeout: '10' }, deps).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(Fido2Error);
  return e as Fido2Error;
}

describe('guided reset of a USB key (fake device list)', () => {
  const key1 = record('/dev/hidraw1', 'SER1');

  it('resets the same key when it comes back under a new path', async () => {
    const key = await keyWithPin();
    const back = record('/dev/hidraw5', 'SER1');
    const deps = fakeBus([[key1], [key1], [], [], [back]], { '/dev/hidraw5': key });
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => (out.push(String(c)), true));
    await runReset({ yes: true }, { timeout: '10' }, deps);
    expect(key.snapshot().pin).toBeUndefined();
    expect(out.join('')).toMatch(/Unplug the key now \(1: Test Key \(1050:0407\) serial SER1 at \/dev\/hidraw1\)[\s\S]*Plug it back in now[\s\S]*was reset/);
  });

  it('refuses a different key coming back (exit 17), resetting nothing', async () => {
    const key = await keyWithPin();
    const deps = fakeBus([[key1], [], [record('/dev/hidraw6', 'OTHER')]], { '/dev/hidraw6': key });
    const e = await resetError(deps);
    expect([e.kind, EXIT_CODES[e.kind]]).toEqual(['wrong-key', 17]);
    expect(key.snapshot().pin).toBeDefined();
  });

  it('gives up when the key never comes back, or is never unplugged (exit 18)', async () => {
    const gone = await resetError(fakeBus([[key1], []], {}));
    expect([gone.kind, gone.reason, EXIT_CODES[gone.kind]]).toEqual(['replug-timeout', 'not-back', 18]);
    const stays = await resetError(fakeBus([[key1]], {}));
    expect([stays.kind, stays.reason]).toEqual(['replug-timeout', 'not-unplugged']);
  });

  it('a key without a serial is recognised as the only new FIDO device; two new ones are refused', async () => {
    const key = await keyWithPin();
    const bare = record('/dev/hidraw1', undefined);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runReset({ yes: true }, { timeout: '10' }, fakeBus([[bare], [], [record('/dev/hidraw2', undefined)]], { '/dev/hidraw2': key }));
    expect(key.snapshot().pin).toBeUndefined();
    const two = [record('/dev/hidraw2', undefined), record('/dev/hidraw3', undefined)];
    expect((await resetError(fakeBus([[bare], [], two], {}))).kind).toBe('wrong-key');
  });

  it('with several keys attached it refuses unless one is chosen', async () => {
    const e = await resetError(fakeBus([[key1, record('/dev/hidraw2', 'SER2')]], {}));
    expect(e.kind).toBe('usage');
    expect(e.message).toMatch(/2 FIDO security keys are connected; pass --device N/);
  });
});

describe('fido2-manage sim: kill -USR1 unplugs the served key and plugs it back in', () => {
  it('the guided reset goes through against a separate sim process', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
    const sim = spawn(process.execPath, [bin, 'sim', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        sim.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        sim.once('exit', () => reject(new Error(`sim exited: ${out}`)));
      });
      const device = `tcp:127.0.0.1:${port}`;
      expect((await runCli(['set-pin', '--device', device], { env: { FIDO2_PIN: '2468' } })).code).toBe(0);
      let sent = false;
      const r = await runCli(['reset', '--yes', '--device', device], {
        onStderr: (text) => {
          if (!sent && /Restart the software key/.test(text)) {
            sent = true;
            sim.kill('SIGUSR1');
          }
        },
      });
      expect(r.code).toBe(0);
      expect(out).toMatch(/unplugged\nplugged in\n/);
      const info = JSON.parse((await runCli(['info', '--device', device, '--json'])).stdout);
      expect(info.info.options.clientPin).toBe(false);
    } finally {
      sim.kill('SIGTERM');
    }
  });
});
