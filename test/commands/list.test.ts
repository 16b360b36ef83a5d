import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyChannel } from '../../src/ctap/channel.js';
import { type CborValue, encodeCbor } from '../../src/ctap/cbor.js';
import { lockIdFor, lockPathFor } from '../../src/fleet/key-lock.js';
import { aaguidBytes, profile as profileOf } from '../../src/sim/profiles.js';
import { CTAP, type KeyUnderTest, runCli, startKey } from './harness.js';
import { CtapError } from '../../src/ctap/errors.js';
import { Fido2Error } from '../../src/errors.js';
import { describeAaguid, missingFor } from '../../src/devices/model-probe.js';
import { formatDevice, formatModel, runList } from '../../src/commands/device/list.js';
import { type DeviceInfo, noDeviceMessage } from '../../src/devices/discovery.js';
import { setJsonCommand } from '../../src/commands/output.js';

const KEYS: DeviceInfo[] = [
  { index: 1, path: '/dev/hidraw3', vendorId: 0x1050, productId: 0x0407, product: 'YubiKey OTP+FIDO+CCID', manufacturer: 'Yubico', serialNumber: '' },
  { index: 2, path: '/dev/hidraw7', vendorId: 0x349e, productId: 0x0022, product: 'T2F2', manufacturer: 'Token2' },
];

function captureStdout(): { text: () => string } {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  return { text: () => out };
}

afterEach(() => vi.restoreAllMocks());

describe('list', () => {
  it('shows index, manufacturer, product, VID:PID, serial and path', () => {
    expect(formatDevice(KEYS[0]!)).toBe('1: Yubico YubiKey OTP+FIDO+CCID (1050:0407) serial - at /dev/hidraw3');
    expect(formatDevice(KEYS[1]!)).toBe('2: Token2 T2F2 (349e:0022) serial - at /dev/hidraw7');
  });

  it('prints one line per key, or the JSON array', async () => {
    const out = captureStdout();
    await runList({ probe: false }, async () => KEYS);
    expect(out.text().trim().split('\n')).toHaveLength(2);
    const json = captureStdout();
    setJsonCommand('list'); // the CLI sets it from the arguments
    await runList({ json: true, probe: false }, async () => KEYS);
    expect(JSON.parse(json.text())).toEqual({ ok: true, device: null, command: 'list', devices: KEYS });
  });

  it('says how to check the connection when there is no key', async () => {
    const out = captureStdout();
    await runList({}, async () => []);
    expect(out.text()).toBe(`${noDeviceMessage()}\n`);
  });
});

describe('list names each key model from its AAGUID', () => {
  const keys: KeyUnderTest[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(keys.splice(0).map((k) => k.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
  });
  const serve = async (options: Parameters<typeof startKey>[0] = {}): Promise<KeyUnderTest> => {
    const k = await startKey(options);
    keys.push(k);
    return k;
  };

  it('text and JSON: the model, and the AAGUID; an AAGUID no table knows is shown itself', async () => {
    const known = await serve({ profile: 'fido-2.0' });
    const unknown = await serve();
    // A model no table names (the virtual key reports whatever its state holds).
    (unknown.key as unknown as { state: { aaguid: Uint8Array } }).state.aaguid = new Uint8Array(16).fill(0xab);
    const devices = `${known.device},${unknown.device}`;
    const text = await runCli(['list', '--device', devices]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      `${known.device}: software key via tcp, model fido2-manage virtual key (fido-2.0)`,
      `${unknown.device}: software key via tcp, model unknown, AAGUID abababab-abab-abab-abab-abababababab`,
    ]);
    const json = await runCli(['list', '--device', devices, '--json']);
    expect(JSON.parse(json.stdout).devices).toEqual([
      { transport: 'tcp', path: known.device, aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000020', model: 'fido2-manage virtual key (fido-2.0)' },
      { transport: 'tcp', path: unknown.device, aaguid: 'abababab-abab-abab-abab-abababababab', model: null, modelMissing: 'unknown-aaguid' },
    ]);
    // getInfo was the only CTAP command: nothing that needs a touch or a PIN.
    expect([...known.ctapCommands, ...unknown.ctapCommands]).toEqual([CTAP.getInfo, CTAP.getInfo, CTAP.getInfo, CTAP.getInfo]);
  });

  it('a key another fido2-manage holds is listed as busy, at once and unopened; --no-probe opens nothing', async () => {
    const k = await serve();
    const free = await serve();
    const dir = mkdtempSync(join(tmpdir(), 'fido2-list-lock-'));
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = dir;
    try {
      writeFileSync(lockPathFor(lockIdFor({ label: k.device })), JSON.stringify({ pid: process.pid, token: 'held-by-the-test' }));
      const r = await runCli(['list', '--device', `${k.device},${free.device}`, '--json'], { env: { XDG_RUNTIME_DIR: dir } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout).devices).toEqual([
        { transport: 'tcp', path: k.device, aaguid: null, model: null, modelMissing: 'busy' },
        { transport: 'tcp', path: free.device, aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000021', model: 'fido2-manage virtual key (fido-2.1)' },
      ]);
      expect(k.hidCommands).toEqual([]);
      const text = await runCli(['list', '--device', k.device], { env: { XDG_RUNTIME_DIR: dir } });
      expect(text.stdout).toBe(`${k.device}: software key via tcp, model unknown (busy: another fido2-manage is using it)\n`);
      const seen = free.hidCommands.length;
      const bare = await runCli(['list', '--no-probe', '--device', free.device]);
      expect(bare.stdout).toBe(`${free.device}: software key via tcp\n`);
      expect(free.hidCommands.length).toBe(seen);
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a key that accepts and never answers is still listed, with "no answer", within the bound', async () => {
    const k = await serve();
    // Reads what it is sent (so it sees the client leave) and never answers.
    const silent = createServer((socket) => socket.resume());
    servers.push(silent);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const mute = `tcp:127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const r = await runCli(['list', '--timeout', '0.5', '--device', `${mute},${k.device}`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).devices).toEqual([
      { transport: 'tcp', path: mute, aaguid: null, model: null, modelMissing: 'no-answer' },
      { transport: 'tcp', path: k.device, aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000021', model: 'fido2-manage virtual key (fido-2.1)' },
    ]);
  });

  it('HID keys are opened by path, all at once, and a U2F-only one says so', async () => {
    const opened: string[] = [];
    let inFlight = 0;
    let most = 0;
    const open = async (selector: string): Promise<KeyChannel> => {
      opened.push(selector);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((done) => setTimeout(done, 20));
      inFlight--;
      return { label: selector, capabilities: { wink: false, cbor: selector === '/dev/hidraw3', nmsg: true }, wink: async () => undefined, close: async () => undefined, cbor: async () => getInfoReply() };
    };
    const out = captureStdout();
    await runList({}, async () => KEYS, { open, lock: (_id, fn) => fn() });
    expect(opened).toEqual(['/dev/hidraw3', '/dev/hidraw7']);
    expect(most).toBe(2);
    expect(out.text().split('\n')).toEqual([
      `${formatDevice(KEYS[0]!)} via usb, model fido2-manage virtual key (fido-2.1)`,
      `${formatDevice(KEYS[1]!)} via usb, model unknown (speaks only U2F, no AAGUID)`,
      '',
    ]);
  });
});

/** A getInfo reply (status 0, then versions and the fido-2.1 virtual key's AAGUID). */
function getInfoReply(): Uint8Array {
  const body = encodeCbor(new Map<CborValue, CborValue>([[1, ['FIDO_2_0', 'FIDO_2_1']], [3, aaguidBytes(profileOf('fido-2.1'))]]));
  return new Uint8Array([0, ...body]);
}

describe('why a model is missing, and how a list line says it', () => {
  it.each([
    [new Fido2Error('transport', 'Another fido2-manage kept the key busy', { reason: 'key-busy' }), 'busy', 'model unknown (busy: another fido2-manage is using it)'],
    [new Fido2Error('cancelled', 'Cancelled while opening the key'), 'no-answer', 'model unknown (no answer in time)'],
    [new CtapError(0x01), 'u2f-only', 'model unknown (speaks only U2F, no AAGUID)'],
    [new Fido2Error('transport', 'The device vanished'), 'failed', 'model unknown (could not read it: The device vanished)'],
    [new Error('anything else'), 'failed', 'model unknown (could not read it: anything else)'],
  ])('%s: %s', (error, why, text) => {
    const p = missingFor(error);
    expect(p).toMatchObject({ aaguid: null, model: null, modelMissing: why });
    expect(p.modelError).toBe(why === 'failed' ? error.message : undefined);
    expect(formatModel(p)).toBe(text);
  });

  it.each([
    ['f1d0f1d0-5a11-4e21-9a0b-000000000023', { aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000023', model: 'fido2-manage virtual key (fido-2.3)' }, 'model fido2-manage virtual key (fido-2.3)'],
    ['00000000-0000-0000-0000-000000000001', { aaguid: '00000000-0000-0000-0000-000000000001', model: null, modelMissing: 'unknown-aaguid' }, 'model unknown, AAGUID 00000000-0000-0000-0000-000000000001'],
  ])('AAGUID %s', (aaguid, probe, text) => {
    expect(describeAaguid(aaguid)).toEqual(probe);
    expect(formatModel(describeAaguid(aaguid))).toBe(text);
  });
});
