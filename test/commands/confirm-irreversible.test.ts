/**
 * Raising the minimum PIN length and enabling enterprise attestation cannot be
 * undone short of a reset: they ask on a terminal and need --yes without one,
 * before the PIN is used.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CTAP, type KeyUnderTest, runCli, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PTY = fileURLToPath(new URL('../helpers/pty_run.py', import.meta.url));
const PIN = { FIDO2_PIN: '13572468' };

let keys: KeyUnderTest[] = [];
afterEach(async () => {
  for (const k of keys) await k.close();
  keys = [];
});

async function key(): Promise<KeyUnderTest> {
  const k = await startKeyWithPin('13572468');
  keys.push(k);
  return k;
}

async function onPty(steps: string[], args: string[]): Promise<{ exitCode: number; output: string }> {
  const { FIDO2_PIN: _pin, ...env } = process.env;
  const r = await promisify(execFile)('/usr/bin/python3', [PTY, ...steps, '--', process.execPath, BIN, ...args], { env });
  return JSON.parse(r.stdout) as { exitCode: number; output: string };
}

const COMMANDS: Array<[name: string, args: string[], changed: (k: KeyUnderTest) => boolean]> = [
  ['min-pin-length 8', ['min-pin-length', '8'], (k) => k.key.snapshot().minPinLength === 8],
  ['enable-enterprise-attestation', ['enable-enterprise-attestation'], (k) => k.key.snapshot().enterpriseAttestation === true],
];

describe.each(COMMANDS)('%s', (_name, args, changed) => {
  it('without a terminal needs --yes: exit 2 before the PIN is used, and nothing changes', async () => {
    const k = await key();
    const r = await runCli([...args, '--device', k.device, '--json'], { env: PIN });
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', reason: 'confirmation-needed' } });
    expect(r.stderr).toMatch(/cannot be undone.*--yes/);
    expect(k.ctapCommands).toEqual([CTAP.getInfo]);
    expect(changed(k)).toBe(false);

    const yes = await runCli([...args, '--device', k.device, '--yes'], { env: PIN });
    expect(yes.code, yes.stderr).toBe(0);
    expect(changed(k)).toBe(true);
  });

  it('on a terminal asks first: "n" changes nothing (exit 130), "y" goes on', async () => {
    const k = await key();
    const no = await onPty(['[y/N]', 'n\\r'], [...args, '--device', k.device]);
    expect(no.exitCode, no.output).toBe(130);
    expect(no.output).toMatch(/only a reset/i);
    expect(changed(k)).toBe(false);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);

    const yes = await onPty(['[y/N]', 'y\\r', '--then', 'PIN: ', '13572468\\r'], [...args, '--device', k.device]);
    expect(yes.exitCode, yes.output).toBe(0);
    expect(changed(k)).toBe(true);
  });

  it('on several keys needs --yes for all of them; with it every key changes', async () => {
    const a = await key();
    const b = await key();
    const r = await runCli([...args, '--device', `${a.device},${b.device}`], { env: PIN });
    expect(r.code, r.stdout).toBe(2);
    expect(r.stdout).toMatch(/pass --yes/);
    expect([a, b].some(changed)).toBe(false);
    const yes = await runCli([...args, '--device', `${a.device},${b.device}`, '--yes'], { env: PIN });
    expect(yes.code, yes.stdout).toBe(0);
    expect([a, b].every(changed)).toBe(true);
  });
});

describe('what asks and what does not', () => {
  it('min-pin-length at the current minimum asks nothing; the fido2-manage word -setMinimumPIN takes --yes', async () => {
    const k = await key();
    expect((await runCli(['min-pin-length', '4', '--device', k.device], { env: PIN })).code).toBe(0);
    expect((await runCli(['-setMinimumPIN', '6', '-device', k.device, '-pin', '13572468'])).code).toBe(2);
    expect((await runCli(['-setMinimumPIN', '6', '-device', k.device, '-pin', '13572468', '--yes'])).code).toBe(0);
    expect(k.key.snapshot().minPinLength).toBe(6);
  });
});
