import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CTAP, type KeyUnderTest, runCli, startKey, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

type Doc = Record<string, unknown> & { ok: boolean; device: unknown; error?: { kind: string; exitCode: number; message: string } };
const parse = (stdout: string): Doc => JSON.parse(stdout) as Doc;

describe('--device', () => {
  it.each(['-1', 'abc', 'tcp:localhost', 'tcp:127.0.0.1:0'])('%s is a usage error naming the accepted forms, in text and JSON', async (device) => {
    const text = await runCli(['info', '--device', device]);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(new RegExp(`^fido2-manage: Bad --device "${device.replace(/[.]/g, '\\.')}": .*; use a number from \`fido2-manage list\`, a HID path as \`list\` shows it, serial:SERIAL, tcp:HOST:PORT \\(a software key\\), pcsc:READER \\(part of a PC/SC reader name\\) or sim\\.\\n$`));
    const json = await runCli(['info', '--device', device, '--json']);
    expect(json.code).toBe(2);
    expect(parse(json.stdout)).toMatchObject({ ok: false, device, error: { kind: 'usage', exitCode: 2 } });
  });
});

describe('a reader that stops early (| head)', () => {
  it.each([[['info']], [['uvs', '--json']], [['credentials', 'list']]])('%j finishes its work on the key and exits 0, without an EPIPE crash', async (args) => {
    k = await startKeyWithPin('48213579');
    const child = spawn(process.execPath, [BIN, ...args, '--device', k.device], { env: { ...process.env, FIDO2_PIN: '48213579' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Gone before the first line comes: every write meets a closed pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).not.toMatch(/EPIPE|Unexpected/);
    expect(code).toBe(0);
    if (args[0] === 'uvs') expect(k.key.snapshot().alwaysUv).toBe(true);
  });
});

describe('commands that work through one key take one key', () => {
  it.each([
    [['credentials', 'list'], 'credentials list'],
    [['credentials', 'delete', 'AAAA', '--yes'], 'credentials delete'],
    [['fingerprints', 'list'], 'fingerprints list'],
    [['large-blobs', 'list'], 'large-blobs list'],
    [['large-blobs', 'clean', '--yes'], 'large-blobs clean'],
    [['uv-check'], 'uv-check'],
  ])('%j with several keys is a usage error naming the command', async (args, name) => {
    for (const devices of [['--device', 'sim,tcp:127.0.0.1:9'], ['--device', 'all'], ['--device', 'sim', '--device', 'tcp:127.0.0.1:9']]) {
      const r = await runCli([...args, ...devices, '--json']);
      expect(r.code).toBe(2);
      expect(parse(r.stdout).error?.message).toBe(`${name} works on one key at a time; give one --device (several keys: run it once per key).`);
    }
  });
});

describe('option values are checked before any command runs', () => {
  it.each([
    [['info', '--pin-protocol', '3'], /--pin-protocol takes 1 or 2, not "3"/],
    [['wink', '--pin-protocol', '3'], /--pin-protocol takes 1 or 2/],
    [['retries', '--min-retries', '9'], /--min-retries takes a whole number from 0 to 8/],
    [['info', '--timeout', '0'], /--timeout takes a number of seconds above 0 and at most 3600/],
    [['info', '--timeout', '3601'], /--timeout takes a number of seconds above 0 and at most 3600/],
    [['info', '--timeout', 'soon'], /--timeout takes a number of seconds above 0 and at most 3600/],
  ])('%j is a usage error and the key hears nothing', async (args, message) => {
    k = await startKey();
    const r = await runCli([...args, '--device', k.device]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(k.hidCommands).toEqual([]);
  });

  it('accepts the ends of the --timeout range it names', async () => {
    k = await startKey();
    for (const t of ['0.5', '3600']) expect((await runCli(['info', '--timeout', t, '--device', k.device])).code).toBe(0);
  });
});

describe('help', () => {
  it.each(['uvs', 'change-pin', 'info', 'min-pin-length'])('`%s --help` shows the options the command uses', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    for (const option of ['--device', '--json', '--timeout', '--pin-file', '--pin-stdin', '--uv']) expect(r.stdout).toContain(option);
  });
});

describe('JSON documents', () => {
  it('--json with no command prints a JSON usage error', async () => {
    const r = await runCli(['--json']);
    expect(r.code).toBe(2);
    expect(parse(r.stdout)).toMatchObject({ ok: false, device: null, error: { kind: 'usage', exitCode: 2, message: expect.stringMatching(/No command given/) } });
  });

  it.each([
    [['info', '--frob']],
    [['min-pin-length']],
    [['nonsense']],
    [['uvs', '--device', 'sim', '--pin-protocol', '0']],
  ])('usage error %j prints a JSON error document with ok and device', async (args) => {
    const r = await runCli([...args, '--json']);
    expect(r.code).toBe(2);
    const doc = parse(r.stdout);
    expect(doc).toHaveProperty('ok', false);
    expect(doc).toHaveProperty('device');
    expect(doc.error).toMatchObject({ kind: 'usage', exitCode: 2 });
  });

  it('every document has ok and device, and every change reports before and after read back from the key', async () => {
    k = await startKey();
    const base = ['--device', k.device, '--json'];
    const pin = { FIDO2_PIN: '48213579' };
    const run = async (args: string[], env: Record<string, string> = {}): Promise<Doc> => {
      const r = await runCli([...args, ...base], { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      const doc = parse(r.stdout);
      expect(doc.ok, args.join(' ')).toBe(true);
      expect(doc.device, args.join(' ')).toBe(k!.device);
      return doc;
    };
    for (const a of [['info'], ['retries'], ['wink']]) await run(a);
    expect(await run(['set-pin'], pin)).toMatchObject({ before: { pinSet: false }, after: { pinSet: true } });
    await run(['verify-pin'], pin);
    expect(await run(['uvs'], pin)).toMatchObject({ changed: true, before: { alwaysUv: false }, after: { alwaysUv: true } });
    expect(await run(['uvs'], pin)).toMatchObject({ changed: false, before: { alwaysUv: true }, after: { alwaysUv: true } });
    expect(await run(['uvd'], pin)).toMatchObject({ before: { alwaysUv: true }, after: { alwaysUv: false } });
    expect(await run(['min-pin-length', '6', '--yes', '--rp-id', 'example.com'], pin)).toMatchObject({ rpIds: ['example.com'], before: { minPinLength: 4 }, after: { minPinLength: 6 } });
    expect(await run(['enable-enterprise-attestation', '--yes'], pin)).toMatchObject({ before: { enterpriseAttestation: false }, after: { enterpriseAttestation: true } });
    expect(await run(['force-pin-change'], pin)).toMatchObject({ before: { forcePinChange: false }, after: { forcePinChange: true } });
    expect(await run(['change-pin'], { FIDO2_PIN: '48213579', FIDO2_NEW_PIN: '97531246' })).toMatchObject({ before: { forcePinChange: true }, after: { forcePinChange: false, pinSet: true } });
    expect(await run(['reset', '--yes', '--no-replug'])).toMatchObject({ before: { pinSet: true, minPinLength: 6 }, after: { pinSet: false, minPinLength: 4 } });
  });

  it('list --json is a document too', async () => {
    const r = await runCli(['list', '--json']);
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toMatchObject({ ok: true, device: null, devices: expect.any(Array) });
  });
});

describe('min-pin-length --rp-id', () => {
  it.each(['', ' ', ' example.com'])('refuses %j before anything is sent', async (rpId) => {
    k = await startKey();
    const r = await runCli(['min-pin-length', '6', '--rp-id', rpId, '--device', k.device, '--json']);
    expect(r.code).toBe(2);
    expect(parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', message: expect.stringMatching(/--rp-id takes a site's domain/) } });
    expect(k.hidCommands).toEqual([]);
  });

  it('names the RP IDs it set in the text output', async () => {
    k = await startKey();
    const r = await runCli(['min-pin-length', '6', '--yes', '--rp-id', 'example.com', 'login.example.org', '--device', k.device]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Minimum PIN length is now 6; sites allowed to read it: example.com, login.example.org.\n');
    expect(k.ctapCommands.filter((c) => c === CTAP.config)).toHaveLength(1);
  });
});
