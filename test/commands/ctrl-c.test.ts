import { execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PTY = fileURLToPath(new URL('../helpers/pty_run.py', import.meta.url));
const PIN = '48213579';

/** The CLI on a pseudo-terminal: waits for `prompt`, types Ctrl-C. */
async function ctrlCAt(prompt: string, args: string[]): Promise<{ exitCode: number; output: string }> {
  const { FIDO2_PIN: _pin, FIDO2_NEW_PIN: _newPin, ...env } = process.env;
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [PTY, prompt, '\\x03', '--', process.execPath, BIN, ...args], { env });
  return JSON.parse(stdout) as { exitCode: number; output: string };
}

let k: KeyUnderTest | undefined;
let silent: Server | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
  silent?.close();
  silent = undefined;
});

describe('the first Ctrl-C cancels at any point: exit 130, "Cancelled; nothing was changed"', () => {
  it.each([[false], [true]])('while waiting for INIT from a key that never answers (--json %s)', async (json) => {
    let child: ReturnType<typeof spawn> | undefined;
    silent = createServer(() => child?.kill('SIGINT'));
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    child = spawn(process.execPath, [BIN, 'info', '--device', `tcp:127.0.0.1:${port}`, '--timeout', '60', ...(json ? ['--json'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child!.on('close', r));
    expect(code).toBe(130);
    expect(stderr).toMatch(/Cancelled while opening the key; nothing was changed\./);
    if (json) expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { kind: 'cancelled', exitCode: 130 } });
  });

  it('at the reset confirmation prompt, without touching the key', async () => {
    k = await startKeyWithPin(PIN);
    const r = await ctrlCAt('Type "yes"', ['reset', '--device', k.device, '--json']);
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toMatch(/"kind": "cancelled"/);
    expect(r.output).toMatch(/Cancelled; nothing was changed\./);
    expect(r.output).not.toMatch(/Unexpected error/);
    expect(k.key.snapshot().pin).toBeDefined();
  });

  it('at the PIN prompt, with no attempt spent', async () => {
    k = await startKeyWithPin(PIN);
    const r = await ctrlCAt('PIN: ', ['uvs', '--device', k.device]);
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toMatch(/Cancelled; nothing was changed\./);
    expect(k.key.snapshot().pinRetries).toBe(8);
    expect(k.key.snapshot().alwaysUv).toBeFalsy();
  });
});
