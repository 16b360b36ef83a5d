import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential, Platform } from '../sim/platform.js';
import { type CliResult, type KeyUnderTest, runCli, startKey, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PIN = '48213579';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

/**
 * Runs the CLI and sends it SIGINT (Ctrl-C) the moment the key receives the request `matches`
 * picks; that request and everything after reach the key a little later, so the Ctrl-C is
 * surely handled while the change is in flight (the key applies it: nothing waits for a touch).
 */
function ctrlCWhenSent(key: KeyUnderTest, matches: (report: Uint8Array) => boolean, args: string[], env: Record<string, string>): Promise<CliResult> {
  let child: ChildProcess | undefined;
  const connect = key.key.connect.bind(key.key);
  key.key.connect = (onReport) => {
    const link = connect(onReport);
    let queue = Promise.resolve();
    let held = false;
    return {
      write(report: Uint8Array) {
        if (!held && matches(report)) {
          held = true;
          child?.kill('SIGINT');
          queue = queue.then(() => new Promise((r) => setTimeout(r, 300)));
        }
        const copy = Uint8Array.from(report);
        queue = queue.then(() => link.write(copy));
      },
      close: () => link.close(),
    };
  };
  return new Promise((resolve, reject) => {
    const all: Record<string, string | undefined> = { ...process.env, FIDO2_PIN: undefined, FIDO2_NEW_PIN: undefined, ...env };
    child = spawn(process.execPath, [BIN, ...args], { env: all as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** An init packet of CTAPHID_CBOR carrying CTAP command `cmd` whose CBOR map starts with key `firstKey`. */
const cborRequest = (cmd: number, firstKey?: number) => (r: Uint8Array): boolean => r[4] === 0x90 && r[7] === cmd && (firstKey === undefined || r[9] === firstKey);

describe('Ctrl-C after the key applied the change: the run says what the key holds', () => {
  it.each([[false], [true]])('uvs: the change is read back and reported, not "nothing was changed" (--json %s)', async (json) => {
    k = await startKeyWithPin(PIN);
    const r = await ctrlCWhenSent(k, cborRequest(CTAP.config), ['uvs', '--device', k.device, ...(json ? ['--json'] : [])], { FIDO2_PIN: PIN });
    // The key applied it: what the run says must match what the key holds.
    expect(k.key.snapshot().alwaysUv).toBe(true);
    expect(r.stderr).not.toMatch(/nothing was changed/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ctrl-C came after the key had applied authenticatorConfig toggleAlwaysUv; the command finished and read the key back\./);
    if (json) expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, alwaysUv: true, changed: true, after: { alwaysUv: true } });
    else expect(r.stdout).toMatch(/Always-UV is now on \(confirmed by the key\)/);
  });

  it('large-blobs set: the stored blob is read back and reported', async () => {
    k = await startKey();
    const host = await CtapHost.open(k.key);
    const params = makeCredentialParams({ rk: true, rpId: 'a.example', userId: new TextEncoder().encode('alice-id'), extensions: { largeBlobKey: true } });
    params.set(3, { id: new TextEncoder().encode('alice-id'), name: 'alice' });
    const id = Buffer.from(parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId).toString('base64url');
    expect(await new Platform(host).setPin(PIN)).toBe(0);
    host.close();
    const path = join(mkdtempSync(join(tmpdir(), 'ctrl-c-')), 'data.bin');
    writeFileSync(path, 'hello');
    // largeBlobs (0x0c) whose map starts with 0x02 (set): the write, not a read.
    const r = await ctrlCWhenSent(k, cborRequest(0x0c, 0x02), ['large-blobs', 'set', path, '--credential', id, '--device', k.device, '--json'], { FIDO2_PIN: PIN });
    const list = await runCli(['large-blobs', 'list', '--device', k.device, '--json'], { env: { FIDO2_PIN: PIN } });
    expect(JSON.parse(list.stdout).entries).toHaveLength(1);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, dataBytes: 5, after: { entries: [{ status: 'owned', dataBytes: 5 }] } });
    expect(r.stderr).toMatch(/Ctrl-C came after the key had applied largeBlobs write/);
  });

  it('a change not yet sent when Ctrl-C came is not sent: exit 130, nothing changed, read back', async () => {
    k = await startKeyWithPin(PIN);
    // Ctrl-C while the PIN token is requested (clientPIN 0x06, before the config change).
    const r = await ctrlCWhenSent(k, (rep) => rep[4] === 0x90 && rep[7] === CTAP.clientPin && rep[12] === 0x09, ['uvs', '--device', k.device, '--json'], { FIDO2_PIN: PIN });
    expect(k.ctapCommands).not.toContain(CTAP.config);
    expect(k.key.snapshot().alwaysUv).toBeFalsy();
    expect(r.code, r.stderr).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'cancelled', exitCode: 130 } });
  });
});
