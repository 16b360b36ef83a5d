/**
 * Names a website stores with a passkey reach the terminal escaped (escape
 * sequences, line breaks, bidi overrides shown as \x1b, \x0a, \u202e), while
 * JSON keeps the exact strings; raw large-blob bytes are not written to a
 * terminal unless asked.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, Platform } from '../sim/platform.js';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PTY = fileURLToPath(new URL('../helpers/pty_run.py', import.meta.url));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const PIN = { FIDO2_PIN: '1234' };

const RP_NAME = 'Evil\x1b]0;pwned\x07 Corp';
const USER_NAME = 'mallory\x1b[2J\x1b[H';
const DISPLAY_NAME = 'Mal\nDeleted every passkey.\u202eevil';

let keys: KeyUnderTest[] = [];
afterEach(async () => {
  for (const k of keys) await k.close();
  keys = [];
});

/** A served key holding one passkey whose rp name, user name and display name carry terminal controls; PIN 1234. */
async function keyWithHostileNames(largeBlob = false): Promise<{ k: KeyUnderTest; id: string }> {
  const k = await startKey({ profile: 'fido-2.1' });
  keys.push(k);
  const host = await CtapHost.open(k.key);
  const params = makeCredentialParams({ rk: true, rpId: 'evil.example', userId: utf8('m-id'), ...(largeBlob ? { extensions: { largeBlobKey: true } } : {}) });
  params.set(2, { id: 'evil.example', name: RP_NAME });
  params.set(3, { id: utf8('m-id'), name: USER_NAME, displayName: DISPLAY_NAME });
  const id = Buffer.from(parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId).toString('base64url');
  expect(await new Platform(host).setPin('1234')).toBe(0);
  host.close();
  return { k, id };
}

/** No raw control or bidi character in text meant for a terminal; tab and the tool's own line breaks aside. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

async function onPty(steps: string[], args: string[]): Promise<{ exitCode: number; output: string }> {
  const { FIDO2_PIN: _pin, ...env } = process.env;
  const r = await promisify(execFile)('/usr/bin/python3', [PTY, ...steps, '--', process.execPath, BIN, ...args], { env });
  return JSON.parse(r.stdout) as { exitCode: number; output: string };
}

describe('text from a key or a website on the terminal', () => {
  it('credentials list escapes it; --json keeps the exact strings', async () => {
    const { k } = await keyWithHostileNames();
    const text = await runCli(['credentials', 'list', '--device', k.device], { env: PIN });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(RAW);
    expect(text.stdout).toContain('mallory\\x1b[2J\\x1b[H');
    expect(text.stdout).toContain('Mal\\x0aDeleted every passkey.\\u202eevil');
    // The forged line never starts a line of its own.
    expect(text.stdout.split('\n').some((l) => l.startsWith('Deleted every passkey.'))).toBe(false);

    const json = await runCli(['credentials', 'list', '--device', k.device, '--json'], { env: PIN });
    const doc = JSON.parse(json.stdout) as { rps: { rp: { name?: string }; credentials: { user: { name?: string; displayName?: string } }[] }[] };
    expect(doc.rps[0]!.rp.name).toBe(RP_NAME);
    expect(doc.rps[0]!.credentials[0]!.user).toMatchObject({ name: USER_NAME, displayName: DISPLAY_NAME });
  });

  it('the delete confirmation on a terminal shows the names escaped', async () => {
    const { k, id } = await keyWithHostileNames();
    const r = await onPty(['PIN: ', '1234\\r', '--then', '[y/N]', 'n\\r'], ['credentials', 'delete', id, '--device', k.device]);
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toContain('mallory\\x1b[2J\\x1b[H');
    expect(r.output).not.toContain('\x1b[2J');
    expect(r.output).not.toContain('\u202e');
    expect(r.output.split(/\r?\n/).some((l) => l.startsWith('Deleted every passkey.'))).toBe(false);
  });
});

describe('large-blobs get without -o on a terminal', () => {
  it('is refused before the key is asked, naming -o FILE and --to-terminal; --to-terminal writes the bytes', async () => {
    const { k, id } = await keyWithHostileNames(true);
    const set = await runCli(['large-blobs', 'set', '--credential', id, '--device', k.device, '-'], { env: PIN, stdin: 'hello\x1b[2J' });
    expect(set.code, set.stderr).toBe(0);
    k.ctapCommands.length = 0;
    const refused = await onPty([], ['large-blobs', 'get', '--credential', id, '--device', k.device]);
    expect(refused.exitCode, refused.output).toBe(2);
    expect(refused.output).toMatch(/-o FILE.*--to-terminal/);
    expect(k.ctapCommands).toEqual([]);

    const asked = await onPty(['PIN: ', '1234\\r'], ['large-blobs', 'get', '--credential', id, '--device', k.device, '--to-terminal']);
    expect(asked.exitCode, asked.output).toBe(0);
    expect(asked.output).toContain('hello');
  });
});
