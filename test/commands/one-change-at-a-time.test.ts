import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockIdFor, lockPathFor } from '../../src/fleet/key-lock.js';
import { CTAP, runCli, startKey } from './harness.js';

/**
 * toggleAlwaysUv flips the option, so two runs that both read "off" before
 * either toggles would leave it off. The per-key lock makes the second run
 * wait and read the state afresh.
 */
describe('concurrent uvs on one served key', () => {
  it.each([2, 5])('10 rounds of %i concurrent uvs all exit 0, one changes, and always-UV ends on', async (n) => {
    for (let round = 0; round < 10; round++) {
      const k = await startKey();
      try {
        const runs = await Promise.all(Array.from({ length: n }, () => runCli(['uvs', '--device', k.device, '--json'])));
        for (const r of runs) expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
        const docs = runs.map((r) => JSON.parse(r.stdout) as { ok: boolean; alwaysUv: boolean; changed: boolean });
        expect(docs.every((d) => d.ok && d.alwaysUv)).toBe(true);
        expect(docs.filter((d) => d.changed).length, `round ${round}`).toBe(1);
        expect(k.key.snapshot().alwaysUv, `round ${round}`).toBe(true);
        // The key was toggled exactly once: every later run read the new state under the lock.
        expect(k.ctapCommands.filter((c) => c === CTAP.config).length, `round ${round}`).toBe(1);
        // Whoever waited was told why.
        for (const r of runs) if (r.stderr) expect(r.stderr).toMatch(/Another fido2-manage is using the key at tcp:127\.0\.0\.1:\d+; waiting/);
      } finally {
        await k.close();
      }
    }
  }, 240_000);
});

describe('one key spelled two ways', () => {
  // tcp:localhost:P is the key at tcp:127.0.0.1:P: one identity, so one lock.
  it('20 rounds of uvs on tcp:127.0.0.1:P and tcp:localhost:P at once: always-UV ends on, one run changes it', async () => {
    for (let round = 0; round < 20; round++) {
      const k = await startKey();
      try {
        const port = k.device.split(':').pop()!;
        const runs = await Promise.all([`tcp:127.0.0.1:${port}`, `tcp:localhost:${port}`].map((d) => runCli(['uvs', '--device', d, '--json'])));
        for (const r of runs) expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
        const docs = runs.map((r) => JSON.parse(r.stdout) as { alwaysUv: boolean; changed: boolean });
        expect(docs.map((d) => d.changed).sort(), `round ${round}`).toEqual([false, true]);
        expect(docs.every((d) => d.alwaysUv)).toBe(true);
        expect(k.key.snapshot().alwaysUv, `round ${round}`).toBe(true);
        expect(k.ctapCommands.filter((c) => c === CTAP.config).length, `round ${round}`).toBe(1);
      } finally {
        await k.close();
      }
    }
  }, 240_000);
});

describe('the key lock seen from the command line', () => {
  /** Runs `fn` with lock files in a private directory that the CLI uses too. */
  async function withLockDir(fn: (dir: string, lockFile: (device: string) => string) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-lock-cli-'));
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = dir;
    try {
      await fn(dir, (device) => lockPathFor(lockIdFor({ label: device })));
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('waits for a live holder, says so, and gives up after --timeout with a one-line error', async () => {
    const k = await startKey();
    try {
      await withLockDir(async (dir, lockFile) => {
        writeFileSync(lockFile(k.device), JSON.stringify({ pid: process.pid, token: 'held-by-the-test' }));
        const r = await runCli(['uvs', '--device', k.device, '--timeout', '0.5', '--json'], { env: { XDG_RUNTIME_DIR: dir } });
        expect(r.code).toBe(4);
        expect(r.stderr).toContain(`Another fido2-manage is using the key at ${k.device}; waiting`);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'transport', reason: 'key-busy' } });
        expect(k.ctapCommands).toEqual([]);
      });
    } finally {
      await k.close();
    }
  });

  it('is not blocked by a lock left by a killed run', async () => {
    const k = await startKey();
    try {
      await withLockDir(async (dir, lockFile) => {
        const dead = spawnSync(process.execPath, ['-e', '']).pid;
        writeFileSync(lockFile(k.device), JSON.stringify({ pid: dead, token: 'left-behind' }));
        const r = await runCli(['uvs', '--device', k.device, '--timeout', '2', '--json'], { env: { XDG_RUNTIME_DIR: dir } });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toContain('Another fido2-manage');
        expect(k.key.snapshot().alwaysUv).toBe(true);
      });
    } finally {
      await k.close();
    }
  });
});
