import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/commands/fleet/fleet-output.js';
import { keyName, progressText } from '../../src/commands/fleet/progress.js';
import { startFaultProxy } from './fault-proxy.js';
import { startKey } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));

describe('progress and table text', () => {
  const t = { selector: 'tcp:127.0.0.1:9', label: 'tcp:127.0.0.1:9', number: 3 };
  it.each([
    [{ target: { ...t, serial: '1234' }, phase: 'touch' as const }, 'key 3 (serial 1234): touch it'],
    [{ target: t, phase: 'working' as const, detail: 'set PIN' }, 'key 3 (tcp:127.0.0.1:9): working: set PIN'],
    [{ target: t, phase: 'failed' as const, detail: 'transport' }, 'key 3 (tcp:127.0.0.1:9): failed: transport'],
  ])('%j', (event, line) => {
    expect(progressText(event)).toBe(line);
  });
  it('pads the columns to the widest cell', () => {
    expect(formatTable([{ key: keyName(t), id: 'abc', outcome: 'ok', changes: 'x' }])).toEqual([
      'KEY                      SERIAL/MODEL  OUTCOME  WHAT CHANGED',
      'key 3 (tcp:127.0.0.1:9)  abc           ok       x',
    ]);
  });
});

describe('Ctrl-C during a fleet apply', () => {
  it('cancels the pending key and reports which keys were changed and which were not', async () => {
    const done = await startKey();
    const hung = await startKey();
    // The second key stops answering after its getInfo, as a key waiting for something would.
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(hung.device.split(':')[2]) }, { muteAfterHostReports: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'cancel-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ pin: true, alwaysUv: true }));
    try {
      const child = spawn(process.execPath, [BIN, 'apply', join(dir, 'policy.json'), '--device', `${done.device},${proxy.device}`, '--timeout', '60', '--json'], {
        env: { ...process.env, FIDO2_PIN: '86429753', FIDO2_NEW_PIN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
      // Ctrl-C once the first key is done and the second is stuck.
      while (!(done.key.snapshot().alwaysUv && proxy.hostReports() >= 3)) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      expect(await exited).toBe(14);
      const doc = JSON.parse(stdout) as { results: Array<{ ok: boolean; changed: boolean; error?: { kind: string } }> };
      expect(doc.results.map((e) => [e.ok, e.changed, e.error?.kind])).toEqual([
        [true, true, undefined],
        [false, false, 'cancelled'],
      ]);
      expect(hung.key.snapshot().alwaysUv).toBe(false);
    } finally {
      await proxy.close();
      await done.close();
      await hung.close();
    }
  });
});
