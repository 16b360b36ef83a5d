import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Fido2Error } from '../../src/errors.js';
import { lockIdFor, lockPathFor, withKeyLock } from '../../src/fleet/key-lock.js';

let dir: string;
let savedRuntimeDir: string | undefined;

beforeEach(() => {
  savedRuntimeDir = process.env.XDG_RUNTIME_DIR;
  dir = mkdtempSync(join(tmpdir(), 'fido2-lock-test-'));
  process.env.XDG_RUNTIME_DIR = dir;
});

afterEach(() => {
  if (savedRuntimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = savedRuntimeDir;
  rmSync(dir, { recursive: true, force: true });
});

/** A pid that belonged to a process which has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

const KEY_LOCK_JS = fileURLToPath(new URL('../../dist/fleet/key-lock.js', import.meta.url));

describe('lockIdFor', () => {
  it.each([
    [{ label: '/dev/hidraw3', path: '/dev/hidraw3', serial: 'ABC' }, 'serial:ABC'],
    [{ label: '/dev/hidraw3', path: '/dev/hidraw3' }, 'hid:/dev/hidraw3'],
    [{ label: 'tcp:LocalHost:35962' }, 'tcp:localhost:35962'],
    [{ label: 'sim', stateFile: '/var/key.json' }, 'sim:/var/key.json'],
    [{ label: 'sim' }, `sim:pid-${process.pid}`],
  ])('%o -> %s', (device, id) => {
    expect(lockIdFor(device)).toBe(id);
  });
});

describe('withKeyLock', () => {
  it('runs holders of one lock one after the other, and the waiter is told once', async () => {
    const events: string[] = [];
    let waits = 0;
    let releaseFirst!: () => void;
    const first = withKeyLock('tcp:a:1', { timeoutMs: 5000 }, async () => {
      events.push('first in');
      await new Promise<void>((r) => (releaseFirst = r));
      events.push('first out');
    });
    const second = withKeyLock('tcp:a:1', { timeoutMs: 5000, onWait: () => waits++ }, async () => {
      events.push('second in');
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['first in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
    expect(waits).toBe(1);
    expect(existsSync(lockPathFor('tcp:a:1'))).toBe(false);
  });

  it('does not make different keys wait for each other', async () => {
    const order: string[] = [];
    await withKeyLock('tcp:a:1', { timeoutMs: 1000 }, async () => {
      await withKeyLock('tcp:a:2', { timeoutMs: 1000, onWait: () => order.push('waited') }, async () => {
        order.push('inner');
      });
    });
    expect(order).toEqual(['inner']);
  });

  it('releases the lock when the function throws', async () => {
    await expect(withKeyLock('k', { timeoutMs: 1000 }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lockPathFor('k'))).toBe(false);
    await expect(withKeyLock('k', { timeoutMs: 1000 }, async () => 42)).resolves.toBe(42);
  });

  it('gives up after the timeout with a one-line error naming the holder', async () => {
    writeFileSync(lockPathFor('k'), JSON.stringify({ pid: process.pid, token: 'someone-else' }));
    const error = await withKeyLock('k', { timeoutMs: 150 }, async () => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Fido2Error);
    expect((error as Fido2Error).kind).toBe('transport');
    expect((error as Fido2Error).reason).toBe('key-busy');
    expect((error as Fido2Error).message).toContain(`pid ${process.pid}`);
    expect((error as Fido2Error).message).not.toContain('\n');
    // Somebody else's lock is left alone.
    expect(JSON.parse(readFileSync(lockPathFor('k'), 'utf8'))).toEqual({ pid: process.pid, token: 'someone-else' });
  });

  it('stops waiting when the signal aborts', async () => {
    writeFileSync(lockPathFor('k'), JSON.stringify({ pid: process.pid, token: 'someone-else' }));
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const error = await withKeyLock('k', { timeoutMs: 10_000, signal: abort.signal }, async () => 1).catch((e: unknown) => e);
    expect((error as Fido2Error).kind).toBe('cancelled');
  });

  it('takes over a lock whose owner has died, without waiting', async () => {
    writeFileSync(lockPathFor('k'), JSON.stringify({ pid: await deadPid(), token: 'dead' }));
    let waited = false;
    await expect(withKeyLock('k', { timeoutMs: 100, onWait: () => (waited = true) }, async () => 'mine')).resolves.toBe('mine');
    expect(waited).toBe(false);
  });

  it('lets only one of many waiters take over the same stale lock', async () => {
    writeFileSync(lockPathFor('k'), JSON.stringify({ pid: await deadPid(), token: 'dead' }));
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withKeyLock('k', { timeoutMs: 5000 }, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('is free again after its holder process is killed (built dist/)', async () => {
    // A child takes the lock and is killed with SIGKILL while holding it: no exit handler runs.
    const script = `import(${JSON.stringify(KEY_LOCK_JS)}).then(({ withKeyLock }) => withKeyLock('k', { timeoutMs: 1000 }, () => { process.stdout.write('held\\n'); return new Promise(() => setInterval(() => {}, 1000)); }))`;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, XDG_RUNTIME_DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.on('data', () => resolve()));
    expect(existsSync(lockPathFor('k'))).toBe(true);
    await new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.kill('SIGKILL');
    });
    expect(existsSync(lockPathFor('k'))).toBe(true);
    await expect(withKeyLock('k', { timeoutMs: 200 }, async () => 'next')).resolves.toBe('next');
  });
});
