import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lockIdFor, lockPathFor } from '../../src/fleet/key-lock.js';
import { type CliResult, startKey } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const NOBODY = 65534;

/**
 * The CLI in its own process, killed after 12 s: a run that never ends (a lock
 * wait that spins for ever) fails the test instead of outliving it.
 */
function runBounded(args: string[], env: Record<string, string | undefined>, as?: { uid: number; gid: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, FIDO2_PIN: undefined, FIDO2_NEW_PIN: undefined, ...env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 12_000,
      killSignal: 'SIGKILL',
      ...(as ?? {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function servedKey(): Promise<Awaited<ReturnType<typeof startKey>>> {
  const k = await startKey();
  cleanups.push(() => k.close());
  return k;
}

const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

describe('key locks that another user could plant', () => {
  it.each([
    ['belongs to another user', (d: string) => chownSync(d, NOBODY, NOBODY), /belongs to uid 65534/],
    ['is writable by others', (d: string) => chmodSync(d, 0o777), /others can write to it \(mode 777\)/],
  ] as const)('a lock directory that %s is refused with exit 4, naming it, before the key is opened', async (_what, spoil, why) => {
    const k = await servedKey();
    const dir = tempDir('fido2-lock-dir-');
    spoil(dir);
    const r = await runBounded(['uvs', '--device', k.device, '--timeout', '1', '--json'], { XDG_RUNTIME_DIR: dir });
    expect(r.code, r.stderr).toBe(4);
    const doc = JSON.parse(r.stdout) as { error: { kind: string; reason: string; message: string } };
    expect(doc.error).toMatchObject({ kind: 'transport', reason: 'lock-dir-insecure' });
    expect(doc.error.message).toContain(dir);
    expect(doc.error.message).toMatch(why);
    expect(k.hidCommands).toEqual([]);
  });

  it('a stale lock that cannot be removed ends the wait at --timeout with exit 4, naming the lock file', async () => {
    const k = await servedKey();
    const dir = tempDir('fido2-lock-stuck-');
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = dir;
    const lockFile = lockPathFor(lockIdFor({ label: k.device }));
    if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved;
    // A directory where the lock file should be: no owner can be read from it and unlink fails.
    mkdirSync(lockFile);
    const r = await runBounded(['uvs', '--device', k.device, '--timeout', '1.5', '--json'], { XDG_RUNTIME_DIR: dir });
    expect(r.code, r.stderr).toBe(4);
    const doc = JSON.parse(r.stdout) as { error: { kind: string; reason: string; message: string } };
    expect(doc.error).toMatchObject({ kind: 'transport', reason: 'key-busy' });
    expect(doc.error.message).toContain(lockFile);
    expect(k.ctapCommands).toEqual([]);
  });

  // The CLI runs as `nobody` here, so the checkout must be readable by others (a clone under a 0700 mktemp
  // directory is not); otherwise the case is skipped, saying why.
  const nobodyCanRun = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)}, require('fs').constants.R_OK)`], { uid: NOBODY, gid: NOBODY }).status === 0;
  it.skipIf(!nobodyCanRun)(`without XDG_RUNTIME_DIR, a stale lock another user left in the shared temp directory does not block the key${nobodyCanRun ? '' : ' (skipped: user nobody cannot read this checkout)'}`, async () => {
    const k = await servedKey();
    // A shared, sticky temp directory like /tmp: nobody cannot remove root's files in it.
    const shared = tempDir('fido2-shared-tmp-');
    chmodSync(shared, 0o1777);
    // The file name a run used for this key in the shared directory: guessable by anyone.
    const digest = createHash('sha256').update(`tcp:${k.device.slice(4)}`).digest('hex').slice(0, 24);
    writeFileSync(join(shared, `fido2-manage-${digest}.lock`), JSON.stringify({ pid: deadPid(), token: 'planted' }), { mode: 0o644 });
    const r = await runBounded(['uvs', '--device', k.device, '--timeout', '2', '--json'], { XDG_RUNTIME_DIR: undefined, TMPDIR: shared }, { uid: NOBODY, gid: NOBODY });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, alwaysUv: true, changed: true });
    // Its own locks went to a directory of its own.
    expect(readdirSync(shared)).toContain(`fido2-manage-${NOBODY}`);
  });
});
