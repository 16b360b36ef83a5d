import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PTY = fileURLToPath(new URL('../helpers/pty_run.py', import.meta.url));
const PIN = '48213579';

/** verify-pin on a pseudo-terminal: waits for the PIN prompt and types `keys` (Python escapes, bytes as \xNN). */
async function typeAtPrompt(device: string, keys: string): Promise<{ exitCode: number; output: string }> {
  const { FIDO2_PIN: _pin, FIDO2_NEW_PIN: _newPin, ...env } = process.env;
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [PTY, 'PIN: ', keys, '--', process.execPath, BIN, 'verify-pin', '--device', device], { env });
  return JSON.parse(stdout) as { exitCode: number; output: string };
}

/** The key's PIN retries, read back as a user would. */
async function retriesLeft(device: string): Promise<number> {
  return (JSON.parse((await runCli(['retries', '--device', device, '--json'])).stdout) as { pinRetries: number }).pinRetries;
}

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe('the hidden PIN prompt on a real terminal edits the line before anything is sent', () => {
  it.each([
    ['Ctrl-U clears what was typed before it', `xxxx\\x15${PIN}\\r`],
    ['Backspace deletes a character typed as e + combining accent whole', `${PIN}e\\xcc\\x81\\x7f\\r`],
    ['Ctrl-W deletes a word', `wrong words\\x17\\x17${PIN}\\r`],
  ])('%s: the right PIN goes through and no attempt is spent', async (_name, keys) => {
    k = await startKeyWithPin(PIN);
    const r = await typeAtPrompt(k.device, keys);
    expect(r.exitCode, r.output).toBe(0);
    expect(await retriesLeft(k.device)).toBe(8);
  });

  it('an arrow key refuses the line (exit 2) instead of sending "[D" in the PIN; no attempt is spent', async () => {
    k = await startKeyWithPin(PIN);
    const r = await typeAtPrompt(k.device, `${PIN.slice(0, 4)}\\x1b[D${PIN.slice(4)}\\r`);
    expect(r.exitCode, r.output).toBe(2);
    expect(r.output).toMatch(/an arrow, function or Alt key.*nothing was sent to the key/);
    expect(await retriesLeft(k.device)).toBe(8);
  });
});
