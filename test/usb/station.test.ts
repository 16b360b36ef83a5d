/**
 * The provisioning station through the real USB path: node-hid's hidraw backend, udev enumeration and
 * hot-plug. Runs only inside ../shared/hidraw's rig, started by scripts/test-rig.sh with --hotplug and
 * --serial STATION, which sets RIG_STATION and serves:
 *   /dev/hidraw0 (serial STATION-1): key A, running when the station starts (RIG_SIM_PIDS[0], state RIG_STATE_A);
 *   /dev/hidraw1 (serial STATION-2): key B, whose address (RIG_SIM_ADDRS[1]) nobody serves yet: unplugged.
 * The station provisions A, A is pulled out (its key stops), B is plugged in (started here) and provisioned,
 * the station is stopped with Ctrl-C; then both keys are read back, B by python-fido2, A by fido2-manage.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const IN_RIG = Boolean(process.env.RIG_HIDRAW) && process.env.RIG_STATION === '1';
const [PID_A] = (process.env.RIG_SIM_PIDS ?? '').split(',').map(Number);
const [ADDR_A, ADDR_B] = (process.env.RIG_SIM_ADDRS ?? '').split(',');
const MODEL = 'fido2-manage virtual key (fido-2.1)';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI output read back

/** Polls `check` every 50 ms until it holds; fails after `ms` saying what was awaited. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** A virtual key served at `addr`: plugging it into the rig (its watcher sees the port accept). */
function serveKey(addr: string, state: string): ChildProcess {
  const key = spawn(process.execPath, [BIN, 'sim', '--listen', addr, '--state', state], { stdio: 'ignore' });
  return key;
}

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SKIPPED = 'skipped: RIG_STATION is not set; scripts/test-rig.sh runs it inside ../shared/hidraw/rig.sh';
if (!IN_RIG) console.warn(`test/usb/station: ${SKIPPED}`);

describe.skipIf(!IN_RIG)(`provisioning station on hot-plugged USB keys${IN_RIG ? '' : ` (${SKIPPED})`}`, () => {
  it('provisions each key once as it is plugged in, journals it, stops cleanly on Ctrl-C; the keys read back as applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-station-rig-'));
    const policyFile = join(dir, 'policy.json');
    const journal = join(dir, 'station.jsonl');
    const handoff = join(dir, 'handoff.csv');
    writeFileSync(policyFile, JSON.stringify({ pin: true, minPinLength: { length: 8 }, alwaysUv: true }));
    // The rig starts every key plugged in and unplugs B within 100 ms, when its port refuses.
    await until('key B unplugged and key A plugged in', () => !existsSync('/dev/hidraw1') && existsSync('/dev/hidraw0'));

    const station = spawn(process.execPath, [BIN, 'apply', policyFile, '--watch', '--include-present', '--journal', journal, '--generate-pins', handoff, '--station', 'rig-desk', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    station.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    station.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => station.on('close', (code, signal) => done({ code, signal })));
    const events = (): Json[] => stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Json);
    const has = (event: string, device: string) => () => events().some((e) => e.event === event && e.device === device);

    let keyB: ChildProcess | undefined;
    try {
      await until('key A provisioned', has('result', '/dev/hidraw0'));
      // Pull key A out: its key stops, the rig removes /dev/hidraw0, the station sees it go.
      process.kill(PID_A!, 'SIGTERM');
      await until('key A removed', has('removed', '/dev/hidraw0'));
      keyB = serveKey(ADDR_B!, join(dir, 'b.state'));
      await until('key B provisioned', has('result', '/dev/hidraw1'));
      station.kill('SIGINT');
      const end = await closed;
      // Ctrl-C ends the station with the fleet's code: 0, every key worked; and says what was done.
      expect(end, stderr).toEqual({ code: 0, signal: null });
      expect(stderr).toMatch(/Station stopped\. 2 keys done\./);

      const results = events().filter((e) => e.event === 'result');
      expect(results.map((e) => [e.device, e.serial, e.ok, e.outcome, e.model])).toEqual([
        ['/dev/hidraw0', 'STATION-1', true, 'changed', MODEL],
        ['/dev/hidraw1', 'STATION-2', true, 'changed', MODEL],
      ]);
      for (const r of results) expect(r.steps.map((s: Json) => [s.op, s.status])).toEqual([['set-pin', 'done'], ['min-pin-length', 'done'], ['always-uv', 'done']]);
      expect(events().filter((e) => e.event === 'arrived').map((e) => e.device)).toEqual(['/dev/hidraw0', '/dev/hidraw1']);

      const lines = readFileSync(journal, 'utf8').split('\n').filter((l) => l !== '');
      const entries = lines.map((l) => JSON.parse(l) as Json);
      expect(entries.map((e) => [e.key.id, e.key.serial, e.key.device, e.key.model, e.outcome, e.station])).toEqual([
        ['serial:STATION-1', 'STATION-1', '/dev/hidraw0', MODEL, 'changed', 'rig-desk'],
        ['serial:STATION-2', 'STATION-2', '/dev/hidraw1', MODEL, 'changed', 'rig-desk'],
      ]);

      const rows = readFileSync(handoff, 'utf8').split('\n').filter((l) => l !== '').slice(1).map((l) => l.split(','));
      const pinOf = (serial: string): string => rows.find((r) => r.includes(serial))![3]!;
      const pins = [pinOf('STATION-1'), pinOf('STATION-2')];
      for (const pin of pins) {
        expect(pin).toMatch(/^\d{8,}$/);
        for (const text of [stdout, stderr, lines.join('\n')]) expect(text).not.toContain(pin);
      }

      // Key B, still plugged in, read back by python-fido2 through /dev/hidraw1: PIN set (it gives a token), min 8, always-UV.
      const py = spawnSync('/usr/bin/python3', ['-c', READ_BACK, '/dev/hidraw1'], { env: { ...process.env, PIN: pins[1]! }, encoding: 'utf8', timeout: 30_000 });
      expect(py.status, py.stderr).toBe(0);
      expect(JSON.parse(py.stdout)).toEqual({ clientPin: true, alwaysUv: true, minPinLength: 8, token: true });

      // Key A plugged back in from its state: fido2-manage reads the same, and its PIN verifies.
      keyB.kill('SIGTERM');
      const keyA = serveKey(ADDR_A!, process.env.RIG_STATE_A!);
      try {
        await until('key A back', () => existsSync('/dev/hidraw0') && !existsSync('/dev/hidraw1'));
        const info = cli(['info', '--device', 'serial:STATION-1', '--json']);
        expect(info.code, info.stderr).toBe(0);
        const i = JSON.parse(info.stdout) as Json;
        expect([i.info.options.clientPin, i.info.options.alwaysUv, i.info.minPINLength]).toEqual([true, true, 8]);
        const verify = cli(['verify-pin', '--device', 'serial:STATION-1', '--json'], { FIDO2_PIN: pins[0]! });
        expect(verify.code, verify.stderr).toBe(0);
      } finally {
        keyA.kill('SIGTERM');
      }
    } finally {
      station.kill('SIGKILL');
      keyB?.kill('SIGTERM');
    }
  }, 60_000);
});

/** python-fido2 0.9.1 (Debian): getInfo and a PIN token from the key at argv[1]; prints what it read as JSON. */
const READ_BACK = `
import json, os, sys
from fido2.hid import CtapHidDevice
from fido2.ctap2 import Ctap2, ClientPin
dev = next(d for d in CtapHidDevice.list_devices() if d.descriptor.path == sys.argv[1])
ctap = Ctap2(dev)
info = ctap.get_info()
# A 2.1 key takes a token only with permissions (CTAP 2.1 §6.5.5.7.2): credential management, which needs no touch.
token = ClientPin(ctap).get_pin_token(os.environ["PIN"], ClientPin.PERMISSION.CREDENTIAL_MGMT)
print(json.dumps({"clientPin": info.options.get("clientPin"), "alwaysUv": info.options.get("alwaysUv"), "minPinLength": info.min_pin_length, "token": len(token) > 0}))
`;
