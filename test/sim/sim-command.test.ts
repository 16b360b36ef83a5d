import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fido2Error } from '../../src/errors.js';
import { isLoopback, parseListen, parsePresence, runSim, startSim } from '../../src/commands/sim.js';
import { spawnSync } from 'node:child_process';
import { CtapHost, RawHost } from './harness.js';
import { CTAP } from './platform.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function usageError(p: Promise<unknown>): Promise<Fido2Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Fido2Error);
  expect((e as Fido2Error).kind).toBe('usage');
  return e as Fido2Error;
}

describe('sim command options', () => {
  it('parses HOST:PORT, including bracketed IPv6', () => {
    expect(parseListen('127.0.0.1:35962')).toEqual({ host: '127.0.0.1', port: 35962 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    for (const bad of ['', '127.0.0.1', ':80', '127.0.0.1:99999', '127.0.0.1:x', 'a:b:c']) {
      expect(() => parseListen(bad), bad).toThrow(Fido2Error);
    }
  });

  it('parses presence modes', () => {
    expect(parsePresence('confirm')).toBe('confirm');
    expect(parsePresence('deny')).toBe('deny');
    expect(parsePresence('delay:250')).toEqual({ delayMs: 250 });
    expect(() => parsePresence('later')).toThrow(Fido2Error);
  });

  it('refuses bad flag values with usage errors before listening', async () => {
    await usageError(runSim({ listen: 'nowhere' }));
    await usageError(runSim({ listen: '127.0.0.1:0', profile: 'fido-3' }));
    await usageError(runSim({ listen: '127.0.0.1:0', presence: 'sometimes' }));
    await usageError(runSim({ listen: '127.0.0.1:0', resetWindow: 'soon' }));
    await usageError(runSim({ listen: '127.0.0.1:0', resetWindow: '0' }));
    await usageError(runSim({ listen: '127.0.0.1:0', largeBlobMax: '512' }));
    // --apdus: a card setting, refused with a bad value and without --vpcd.
    expect((await usageError(runSim({ vpcd: '127.0.0.1:9', apdus: 'long' }))).message).toMatch(/--apdus wants extended or short/);
    expect((await usageError(runSim({ listen: '127.0.0.1:0', apdus: 'short' }))).message).toMatch(/--apdus is for the card in a vpcd reader/);
  });

  it('--vpcd wants HOST:PORT and excludes --listen, both refused before anything starts', async () => {
    expect((await usageError(runSim({ vpcd: 'nowhere' }))).message).toContain('--vpcd wants HOST:PORT');
    expect((await usageError(runSim({ vpcd: '127.0.0.1:35963', listen: '127.0.0.1:0' }))).message).toContain('exclude each other');
  });

  it('--large-blob-max sets maxSerializedLargeBlobArray; 0 takes large blobs away', async () => {
    for (const [value, expected] of [['1024', 1024], ['0', undefined]] as const) {
      const sim = await startSim({ listen: '127.0.0.1:0', largeBlobMax: value });
      const raw = await RawHost.tcp(sim.port);
      const info = await new CtapHost(raw, await raw.init()).ok(CTAP.getInfo);
      raw.close();
      await sim.close();
      expect(info.get(0x0b)).toBe(expected);
      expect((info.get(4) as Map<unknown, unknown>).get('largeBlobs')).toBe(expected === undefined ? undefined : true);
    }
  });

  it('refuses a corrupt state file with a one-line usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-sim-cmd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'state.json');
    writeFileSync(path, 'garbage');
    const e = await usageError(runSim({ listen: '127.0.0.1:0', state: path }));
    expect(e.message).not.toContain('\n');
  });

  it('an unwritable --state path is a usage error, not an unexpected one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-sim-cmd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'file'), '');
    // A path below a regular file cannot be written, even by root.
    const e = await usageError(startSim({ listen: '127.0.0.1:0', state: join(dir, 'file', 'state.json') }));
    expect(e.message).toMatch(/cannot write the state file .*writable --state/);
  });

  it('a second sim on the same state file refuses; a stale lock from a killed process does not block', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-sim-cmd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'state.json');
    const a = await startSim({ listen: '127.0.0.1:0', state: path });
    const e = await usageError(startSim({ listen: '127.0.0.1:0', state: path }));
    expect(e.message).toMatch(/another fido2-manage sim \(pid \d+\) is using the state file/);
    await a.close();
    const b = await startSim({ listen: '127.0.0.1:0', state: path });
    await b.close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${path}.lock`, `${dead}\n`);
    const c = await startSim({ listen: '127.0.0.1:0', state: path });
    await c.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('tells loopback addresses from those anyone on the network can reach', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });

  it('an address in use is a usage error', async () => {
    const a = await startSim({ listen: '127.0.0.1:0' });
    cleanups.push(() => a.close());
    await usageError(startSim({ listen: `127.0.0.1:${a.port}` }));
  });
});

describe('runSim', () => {
  it('prints one "listening on HOST:PORT" line, serves the chosen profile, creates the state file and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-sim-cmd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const statePath = join(dir, 'state.json');
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    cleanups.push(() => write.mockRestore());
    const done = runSim({ listen: '127.0.0.1:0', profile: 'fido-2.0', state: statePath });
    for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lines).toHaveLength(1);
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(lines[0]!);
    expect(m).not.toBeNull();
    expect(existsSync(statePath)).toBe(true);
    const raw = await RawHost.tcp(Number(m![1]));
    const host = new CtapHost(raw, await raw.init());
    expect((await host.ok(CTAP.getInfo)).get(1)).toEqual(['FIDO_2_0']);
    raw.close();
    process.emit('SIGTERM', 'SIGTERM');
    await done;
    await expect(RawHost.tcp(Number(m![1]))).rejects.toThrow();
  });
});

describe('runSim on a non-loopback address', () => {
  it('warns that anyone on that network can reset the key', async () => {
    const err: string[] = [];
    const out: string[] = [];
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
    cleanups.push(() => (e.mockRestore(), o.mockRestore()));
    const done = runSim({ listen: '0.0.0.0:0' });
    for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    process.emit('SIGTERM', 'SIGTERM');
    await done;
    expect(err.join('')).toMatch(/not a loopback address: anyone .* reset this virtual key/);
  });
});
