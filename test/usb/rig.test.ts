/**
 * The USB path end to end: node-hid's real hidraw backend, udev enumeration, /dev/hidrawN, replugging.
 * Runs only inside ../shared/hidraw's rig, started by scripts/test-rig.sh (`npm run test:shared`), which
 * sets RIG_HIDRAW and serves two virtual keys with --hotplug:
 *   /dev/hidraw0 (key 1): touches at once; RIG_SIM_PIDS[0] pulls it out for 1 s on SIGUSR1;
 *   /dev/hidraw1 (key 2): answers a touch request only after a long delay (a person who never touches).
 * The tests run in order and build on each other's state, as one person at one machine would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const IN_RIG = Boolean(process.env.RIG_HIDRAW);
const [PID_1] = (process.env.RIG_SIM_PIDS ?? '').split(',').map(Number);
const PIN = '4826';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI output read back

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the CLI; `during` gets the child once and may act on it (signals) while it runs. */
function cli(args: string[], opts: { env?: Record<string, string>; during?: (child: ChildProcess, stderr: () => string) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    opts.during?.(child, () => stderr);
  });
}

async function json(args: string[], env?: Record<string, string>): Promise<Json> {
  const r = await cli([...args, '--json'], { env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

/** Calls `act` once stderr matches `pattern` (polled: the prompt may arrive in pieces). */
function onStderr(pattern: RegExp, act: (child: ChildProcess) => void) {
  return (child: ChildProcess, stderr: () => string): void => {
    const timer = setInterval(() => {
      if (pattern.test(stderr())) {
        clearInterval(timer);
        act(child);
      }
    }, 50);
    child.on('close', () => clearInterval(timer));
  };
}

const SKIPPED = 'skipped: RIG_HIDRAW is not set; npm run test:shared runs test/usb inside ../shared/hidraw/rig.sh';
// The default reporter lists only the file as skipped: say why once, where a person running npm test looks.
if (!IN_RIG) console.warn(`test/usb: ${SKIPPED}`);

describe.skipIf(!IN_RIG)(`USB keys through the hidraw rig${IN_RIG ? '' : ` (${SKIPPED})`}`, () => {
  it('list shows both keys as USB HID devices at /dev/hidraw0 and /dev/hidraw1', async () => {
    const out = await json(['list']);
    expect(out.devices.map((d: Json) => d.path)).toEqual(['/dev/hidraw0', '/dev/hidraw1']);
    const text = await cli(['list']);
    // Each key opened through node-hid for its getInfo: the model its AAGUID names.
    expect(text.stdout).toMatch(/^1: Rig Virtual FIDO2 key \(1209:f1d0\) serial - at \/dev\/hidraw0 via usb, model fido2-manage virtual key \(fido-2\.1\)$/m);
    expect(out.devices.map((d: Json) => d.model)).toEqual(['fido2-manage virtual key (fido-2.1)', 'fido2-manage virtual key (fido-2.1)']);
  });

  it('info --device 1 reads getInfo from /dev/hidraw0', async () => {
    const out = await json(['info', '--device', '1']);
    expect(out.device).toBe('/dev/hidraw0');
    expect(out.info.versions).toContain('FIDO_2_1');
    expect(out.info.options.clientPin).toBe(false);
  });

  it('set-pin --device all sets the PIN on both keys, read back from each', async () => {
    const r = await cli(['set-pin', '--device', 'all', '--json'], { env: { FIDO2_PIN: PIN } });
    expect(r.code, r.stderr).toBe(0);
    for (const n of ['1', '2']) {
      const info = await json(['info', '--device', n]);
      expect(info.info.options.clientPin, `key ${n}`).toBe(true);
      expect(info.pinRetries, `key ${n}`).toBe(8);
    }
  });

  it('uvs then uvd on key 1: always-UV on, then off, as the key reports it', async () => {
    const on = await json(['uvs', '--device', '1'], { FIDO2_PIN: PIN });
    expect(on).toMatchObject({ ok: true, device: '/dev/hidraw0', alwaysUv: true, changed: true });
    expect((await json(['info', '--device', '1'])).info.options.alwaysUv).toBe(true);
    const off = await json(['uvd', '--device', '/dev/hidraw0'], { FIDO2_PIN: PIN });
    expect(off).toMatchObject({ ok: true, alwaysUv: false, changed: true });
    expect((await json(['info', '--device', '1'])).info.options.alwaysUv).toBe(false);
  });

  it('credentials list on key 1: an empty key, with its room left', async () => {
    const out = await json(['credentials', 'list', '--device', '1'], { FIDO2_PIN: PIN });
    expect(out.stored).toBe(0);
    expect(out.remaining).toBeGreaterThan(0);
    expect(out.rps).toEqual([]);
  });

  it('--device all: uvs on both keys, each read back', async () => {
    const r = await cli(['uvs', '--device', 'all', '--json'], { env: { FIDO2_PIN: PIN } });
    expect(r.code, r.stderr).toBe(0);
    for (const n of ['1', '2']) expect((await json(['info', '--device', n])).info.options.alwaysUv, `key ${n}`).toBe(true);
  });

  it('--device touch: both keys blink, the one touched (key 1) is used while key 2 still waits', async () => {
    const r = await cli(['info', '--device', 'touch', '--timeout', '30', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).device).toBe('/dev/hidraw0');
  });

  it('Ctrl-C while key 2 waits for a touch (reset --no-replug): exit 130, nothing changed on the key', async () => {
    const before = await json(['info', '--device', '2']);
    const r = await cli(['reset', '--no-replug', '--yes', '--device', '2', '--timeout', '60'], {
      during: onStderr(/Touch your security key/, (child) => child.kill('SIGINT')),
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Cancelled/);
    const after = await json(['info', '--device', '2']);
    expect(after.info.options.clientPin).toBe(true);
    expect(after.info.options.alwaysUv).toBe(true);
    expect(after.pinRetries).toBe(before.pinRetries);
  });

  it('guided reset of key 1 with a real unplug and replug: the key comes back at /dev/hidraw0 with no PIN', async () => {
    expect(PID_1, 'RIG_SIM_PIDS').toBeGreaterThan(0);
    const r = await cli(['reset', '--yes', '--device', '1', '--timeout', '30'], {
      during: onStderr(/Unplug the key now/, () => process.kill(PID_1!, 'SIGUSR1')),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/The key is out/);
    const info = await json(['info', '--device', '1']);
    expect(info.device).toBe('/dev/hidraw0');
    expect(info.info.options.clientPin).toBe(false);
    expect(info.info.options.alwaysUv).toBe(false);
    // Key 2 was not touched by key 1's reset.
    expect((await json(['info', '--device', '2'])).info.options.clientPin).toBe(true);
  });
});
