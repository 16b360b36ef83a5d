import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe('devices', () => {
  it('list --json prints a document with the keys under devices and exits 0', async () => {
    const r = await runCli(['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout).devices)).toBe(true);
  });

  it('an index or TCP address with no key behind it is exit 3 with a clear line', async () => {
    const idx = await runCli(['info', '--device', '99']);
    expect(idx.code).toBe(3);
    expect(idx.stderr.trim().split('\n')).toHaveLength(1);
    const tcp = await runCli(['info', '--device', 'tcp:127.0.0.1:1', '--json']);
    expect(tcp.code).toBe(3);
    expect(JSON.parse(tcp.stdout)).toMatchObject({ ok: false, error: { kind: 'no-device', exitCode: 3 } });
  });

  it('info over TCP and in-process decode the same data', async () => {
    k = await startKey();
    const tcp = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout);
    const sim = JSON.parse((await runCli(['info', '--device', 'sim', '--json'])).stdout);
    delete tcp.device;
    delete sim.device;
    // Each virtual key has its own AAGUID-independent settings; everything decoded must agree.
    expect(sim).toEqual(tcp);
    expect(tcp.info.versions).toContain('FIDO_2_1');
    expect(tcp.pinRetries).toBe(8);
  });

  it('wink reaches the key as CTAPHID_WINK', async () => {
    k = await startKey();
    const r = await runCli(['wink', '--device', k.device, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(k.hidCommands).toContain(0x08);
  });

  it('info as text explains each option', async () => {
    const r = await runCli(['info', '--device', 'sim']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/alwaysUv: off \(the key asks for PIN only when the site requires it\)/);
    expect(r.stdout).toMatch(/PIN set:\s+no/);
    expect(r.stdout).toMatch(/PIN retries:\s+8/);
  });
});

describe('profiles', () => {
  it('a CTAP 2.1-PRE key gets "not supported" with its versions, and nothing changes', async () => {
    k = await startKey({ profile: 'fido-2.1-pre' });
    const r = await runCli(['uvs', '--device', k.device]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/not supported by this key.*FIDO_2_1_PRE/);
    const m = await runCli(['min-pin-length', '8', '--device', k.device]);
    expect(m.code).toBe(5);
  });

  it('a CTAP 2.0 key takes a PIN over protocol 1 and refuses protocol 2', async () => {
    k = await startKey({ profile: 'fido-2.0' });
    const p2 = await runCli(['set-pin', '--device', k.device, '--pin-protocol', '2'], { env: { FIDO2_PIN: '2468' } });
    expect(p2.code).toBe(5);
    const ok = await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '2468' } });
    expect(ok.code, ok.stderr).toBe(0);
    expect((await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: '2468' } })).code).toBe(0);
  });

  it('a U2F-only key is reported as such by info, not as an error', async () => {
    k = await startKey({ profile: 'u2f-only' });
    const r = await runCli(['info', '--device', k.device, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ctap2: false, u2fOnly: true });
  });

  it('a key with built-in UV shows UV retries and grants a token by fingerprint', async () => {
    k = await startKey({ uv: true });
    const info = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout);
    expect(typeof info.uvRetries).toBe('number');
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '2468' } })).code).toBe(0);
    const r = await runCli(['uvs', '--device', k.device, '--uv']);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('command line', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.stdout.trim()).toBe(pkg.version);
    const { VERSION } = await import('../../src/version.js');
    expect(VERSION).toBe(pkg.version);
  });

  it('usage errors exit 2 and still print the JSON error document with --json', async () => {
    const r = await runCli(['uvd', '--bogus', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', exitCode: 2 } });
    expect(JSON.parse(r.stdout).error.message).toMatch(/--bogus/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['info', '--timeout', 'soon', '--device', 'sim'])).code).toBe(2);
    expect((await runCli(['min-pin-length', 'three', '--device', 'sim'])).code).toBe(2);
    expect((await runCli(['info', '--device', 'sim', '--pin-protocol', '3', '--json'])).code).toBe(2); // checked on every command
  });

  it('Ctrl-C while the key waits for a touch cancels on the key and exits 130', async () => {
    k = await startKey({ presence: { delayMs: 10_000 } });
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '2468' } })).code).toBe(0);
    let sent = false;
    const r = await runCli(['reset', '--yes', '--no-replug', '--device', k.device], {
      onStderr: (text, child) => {
        if (!sent && /Touch your security key/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Cancelled/);
    expect(k.hidCommands).toContain(0x11); // CTAPHID_CANCEL reached the key
    const info = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout);
    expect(info.info.options.clientPin).toBe(true); // not reset
  });
});
