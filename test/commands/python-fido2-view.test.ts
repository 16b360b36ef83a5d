import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

const SCRIPT = fileURLToPath(new URL('../python/read_state.py', import.meta.url));
let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

/** The key's state as python-fido2, an independent client, reads it. */
async function pythonView(device: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, device.split(':')[2]!]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('python-fido2 reads back what the CLI set', () => {
  it('sees the PIN, always-UV, the minimum PIN length and the retries the CLI reports', async () => {
    k = await startKey();
    const env = { FIDO2_PIN: '5791', FIDO2_NEW_PIN: '13572468' };
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '5791' } })).code).toBe(0);
    expect((await runCli(['uvs', '--device', k.device], { env })).code).toBe(0);
    expect(await pythonView(k.device)).toMatchObject({ clientPin: true, alwaysUv: true, minPINLength: 4, pinRetries: 8 });
    expect((await runCli(['uvd', '--device', k.device], { env })).code).toBe(0);
    expect((await runCli(['change-pin', '--device', k.device], { env })).code).toBe(0);
    expect((await runCli(['min-pin-length', '8', '--yes', '--device', k.device], { env: { FIDO2_PIN: '13572468' } })).code).toBe(0);
    expect((await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: '0000' } })).code).toBe(6);
    const cli = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout);
    const py = await pythonView(k.device);
    expect(py).toEqual({
      clientPin: cli.info.options.clientPin,
      alwaysUv: cli.info.options.alwaysUv,
      minPINLength: cli.info.minPINLength,
      forcePINChange: cli.info.forcePINChange,
      pinRetries: cli.pinRetries,
    });
    expect(py).toMatchObject({ alwaysUv: false, minPINLength: 8, pinRetries: 7 });
  });
});
