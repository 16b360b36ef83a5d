import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startKey, type KeyUnderTest, CTAP } from './harness.js';
import { chooseByTouch } from '../../src/commands/device/select.js';
import { Ctap2 } from '../../src/ctap/ctap2.js';
import { openSimTransport } from '../../src/transports/in-process/sim-transport.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { record } from '../helpers/hid-records.js';

const CTAPHID_CANCEL = 0x11;
const SELECTION = 0x0b;
let keys: KeyUnderTest[] = [];

afterEach(async () => {
  await Promise.all(keys.map((k) => k.close()));
  keys = [];
});

async function serve(...options: Parameters<typeof startKey>[0][]): Promise<KeyUnderTest[]> {
  keys = await Promise.all(options.map((o) => startKey(o)));
  return keys;
}

describe('select: touch the key you mean', () => {
  it('names the key touched; the keys still waiting get CTAPHID_CANCEL', async () => {
    const [waiting, denying, touched] = await serve({ presence: { delayMs: 20_000 } }, { presence: 'deny' }, { presence: { delayMs: 300 } });
    const r = await runCli(['select', waiting!.device, denying!.device, touched!.device, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, device: touched!.device, selected: { index: 3, path: touched!.device } });
    expect(r.stderr).toMatch(/Touch the key you mean \(3 keys/);
    for (const k of [waiting!, touched!]) expect(k.ctapCommands).toContain(SELECTION);
    expect(waiting!.hidCommands).toContain(CTAPHID_CANCEL);
    expect(touched!.hidCommands).not.toContain(CTAPHID_CANCEL);
  });

  it('takes its keys from --device a,b (or repeated --device) like every command', async () => {
    const [waiting, touched] = await serve({ presence: { delayMs: 20_000 } }, { presence: { delayMs: 300 } });
    for (const args of [['--device', `${waiting!.device},${touched!.device}`], ['--device', waiting!.device, '--device', touched!.device]]) {
      const r = await runCli(['select', ...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, device: touched!.device, selected: { index: 2, path: touched!.device } });
      expect(r.stderr).toMatch(/Touch the key you mean \(2 keys/);
    }
    const both = await runCli(['select', waiting!.device, '--device', touched!.device]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either as arguments or with --device/);
  });

  it('asks a CTAP 2.0 key with the zero-length pinUvAuthParam probe, which creates nothing', async () => {
    const [old, modern] = await serve({ profile: 'fido-2.0' }, { presence: { delayMs: 20_000 } });
    const r = await runCli(['select', modern!.device, old!.device]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`You touched 2: ${old!.device}\n`);
    expect(old!.ctapCommands).toContain(CTAP.makeCredential);
    expect(old!.ctapCommands).not.toContain(SELECTION);
    expect(old!.key.snapshot().credentials).toHaveLength(0);
    expect(modern!.hidCommands).toContain(CTAPHID_CANCEL);
  });

  it('--device touch asks every attached HID key and hands the touched one over, open', async () => {
    const blinking = new VirtualKey({ presence: { delayMs: 20_000 } });
    const touched = new VirtualKey({ profile: 'fido-2.1-pre', presence: { delayMs: 200 } });
    const byPath: Record<string, VirtualKey> = { '/dev/hidraw1': blinking, '/dev/hidraw2': touched };
    const lister = async () => [record('/dev/hidraw1', 'AAA'), record('/dev/hidraw2', 'BBB')];
    const { key, device } = await chooseByTouch([], { timeout: '10' }, { lister, openHid: async (p) => openSimTransport(byPath[p]) });
    try {
      expect(key).toMatchObject({ index: 2, path: '/dev/hidraw2', serialNumber: 'BBB' });
      const info = await new Ctap2(device).getInfo();
      expect(info.versions).not.toContain('FIDO_2_1'); // the 2.1-pre key, asked by the probe
    } finally {
      await device.close();
    }
  });

  it('a timeout ends it cleanly with exit 10, cancelling every key', async () => {
    const [a, b] = await serve({ presence: { delayMs: 20_000 } }, { presence: { delayMs: 20_000 } });
    const r = await runCli(['select', a!.device, b!.device, '--timeout', '1', '--json']);
    expect(r.code).toBe(10);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'presence' } });
    for (const k of [a!, b!]) expect(k.hidCommands).toContain(CTAPHID_CANCEL);
  });

  it('every key refusing is exit 16; Ctrl-C is exit 130 and cancels the waiting keys', async () => {
    const [a, b] = await serve({ presence: 'deny' }, { presence: 'deny' });
    expect((await runCli(['select', a!.device, b!.device])).code).toBe(16);
    const [c] = await serve({ presence: { delayMs: 20_000 } });
    let sent = false;
    const r = await runCli(['select', c!.device], {
      onStderr: (text, child) => {
        if (!sent && /Touch the key/.test(text)) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 100);
        }
      },
    });
    expect(r.code).toBe(130);
    expect(c!.hidCommands).toContain(CTAPHID_CANCEL);
  });
});
