import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));

/** Starts `fido2-manage sim` as its own process and resolves once it says where it listens. */
function serve(args: string[]): Promise<{ device: string; output(): string; stop(): Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sim', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+):(\d+)/.exec(out);
      if (m) {
        resolve({
          device: `tcp:${m[1]}:${m[2]}`,
          output: () => out,
          stop: () =>
            new Promise((done) => {
              child.on('exit', (code) => done(code));
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`sim exited ${code}: ${out}`)));
  });
}

describe('fido2-manage sim --state', () => {
  it('keeps a PIN set in one run for the next run', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'key.json');
    const first = await serve(['--state', state]);
    const set = await runCli(['set-pin', '--device', first.device], { env: { FIDO2_PIN: '8642' } });
    expect(set.code, set.stderr).toBe(0);
    expect((await runCli(['uvs', '--device', first.device], { env: { FIDO2_PIN: '8642' } })).code).toBe(0);
    await first.stop();
    expect(readFileSync(state, 'utf8')).not.toContain('8642');

    const second = await serve(['--state', state]);
    const info = await runCli(['info', '--device', second.device, '--json']);
    expect(JSON.parse(info.stdout).info.options).toMatchObject({ clientPin: true, alwaysUv: true });
    expect((await runCli(['verify-pin', '--device', second.device], { env: { FIDO2_PIN: '8642' } })).code).toBe(0);
    await second.stop();
  });

  it('a change the state file cannot take is refused and undone: memory and file stay alike, stderr says why', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'gone');
    mkdirSync(dir);
    const state = join(dir, 'key.json');
    const key = await serve(['--state', state]);
    const saved = readFileSync(state, 'utf8');
    // Root ignores file modes, so the directory goes away instead: no temporary file can be made.
    rmSync(dir, { recursive: true });
    const set = await runCli(['set-pin', '--device', key.device, '--json'], { env: { FIDO2_NEW_PIN: '8642' } });
    expect(set.code).not.toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ ok: false });
    expect(key.output()).toMatch(/cannot write the state file .*key\.json .*the command was refused and the key keeps its state as before/);
    // Read back: the key in memory has no PIN, as the file says.
    const info = JSON.parse((await runCli(['info', '--device', key.device, '--json'])).stdout);
    expect(info.info.options.clientPin).toBe(false);
    await key.stop();
    mkdirSync(dir);
    writeFileSync(state, saved);
    const again = await serve(['--state', state]);
    expect(JSON.parse((await runCli(['info', '--device', again.device, '--json'])).stdout).info.options.clientPin).toBe(false);
    // And once the file can be written again, the PIN is set and kept.
    expect((await runCli(['set-pin', '--device', again.device], { env: { FIDO2_NEW_PIN: '8642' } })).code).toBe(0);
    await again.stop();
    expect(JSON.parse(readFileSync(state, 'utf8'))).toHaveProperty('pin');
  });

  it('--uv gives the served key a built-in fingerprint that grants tokens', async () => {
    const key = await serve(['--uv']);
    const info = JSON.parse((await runCli(['info', '--device', key.device, '--json'])).stdout);
    expect(info.info.options.uv).toBe(true);
    expect(typeof info.uvRetries).toBe('number');
    expect((await runCli(['verify-pin', '--uv', '--device', key.device])).code).toBe(0);
    await key.stop();
  });

  it('--fingers 0 is a sensor with no finger; enrolled fingers and names stay in the state file', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'key.json');
    const env = { FIDO2_PIN: '8642' };
    const first = await serve(['--fingers', '0', '--state', state]);
    expect((await runCli(['info', '--device', first.device, '--json'])).stdout).toContain('"bioEnroll": false');
    expect((await runCli(['set-pin', '--device', first.device], { env })).code).toBe(0);
    const add = await runCli(['fingerprints', 'add', '--name', 'ring', '--device', first.device], { env });
    expect(add.code, add.stderr).toBe(0);
    await first.stop();

    const second = await serve(['--uv', '--state', state]);
    const list = await runCli(['--json', 'fingerprints', 'list', '--device', second.device], { env });
    expect(JSON.parse(list.stdout).fingerprints).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{4}$/), name: 'ring' }]);
    expect((await runCli(['verify-pin', '--uv', '--device', second.device])).code).toBe(0);
    await second.stop();
    expect((await runCli(['sim', '--fingers', '9'])).code).toBe(2);
  });

  it('refuses a corrupt state file with one clear line', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'sim-state-')), 'key.json');
    writeFileSync(state, '{"not": "a key"');
    const r = await runCli(['sim', '--listen', '127.0.0.1:0', '--state', state]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/key\.json/);
  });
});
