/**
 * Several keys on a terminal: the live per-key lines step aside while a PIN is
 * asked, so the question stays on screen, and come back below it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { progressDisplay } from '../../src/commands/fleet/progress.js';
import type { FleetEvent } from '../../src/fleet/runner.js';
import type { Target } from '../../src/fleet/selection.js';
import { lastRow, screen } from '../helpers/screen.js';
import { type KeyUnderTest, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PTY = fileURLToPath(new URL('../helpers/pty_run.py', import.meta.url));

function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const stream = { isTTY: true, columns: 80, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

const targets = [1, 2].map((number) => ({ number, label: `tcp:k${number}`, selector: `tcp:k${number}` })) as unknown as Target[];
const event = (n: number, phase: FleetEvent['phase']): FleetEvent => ({ target: targets[n - 1]!, phase }) as FleetEvent;

describe('progressDisplay.whilePaused', () => {
  it.each<[string, Array<[number, FleetEvent['phase']]>]>([
    ['lines drawn before the prompt, a touch request during it', [[1, 'working'], [2, 'working']]],
    ['the prompt before any line was drawn', []],
  ])('%s: the question stays on its row until answered; the lines come back below it', async (_name, before) => {
    const t = fakeTerminal();
    const p = progressDisplay(targets, t.stream);
    for (const [n, phase] of before) p.onEvent(event(n, phase));
    if (before.length) p.onEvent(event(1, 'touch'));
    let seenWhileAsking = '';
    await p.whilePaused(async () => {
      t.stream.write('PIN: ');
      p.onEvent(event(2, 'touch'));
      p.onEvent(event(1, 'working'));
      await new Promise((r) => setTimeout(r, 80));
      seenWhileAsking = lastRow(t.text());
      t.stream.write('\n');
    });
    expect(seenWhileAsking).toBe('PIN:');
    expect(screen(t.text())).toEqual(['PIN:', 'key 1 (tcp:k1): working', 'key 2 (tcp:k2): touch it', '']);
    p.finish();
    expect(screen(t.text())).toEqual(['PIN:', '']);
  });
});

let keys: KeyUnderTest[] = [];
afterEach(async () => {
  for (const k of keys) await k.close();
  keys = [];
});

describe('a PIN prompt for several keys on a real terminal', () => {
  it('is on screen when the PIN is typed, and the run ends with the table and no stale live line', async () => {
    keys = [await startKeyWithPin('13572468'), await startKeyWithPin('13572468')];
    const { FIDO2_PIN: _pin, ...env } = process.env;
    const args = [PTY, 'PIN: ', '13572468\\r', '--', process.execPath, BIN, 'verify-pin', '--device', keys.map((k) => k.device).join(',')];
    const r = JSON.parse((await promisify(execFile)('/usr/bin/python3', args, { env })).stdout) as { exitCode: number; output: string; sentAt: number[] };
    expect(r.exitCode, r.output).toBe(0);
    expect(lastRow(r.output.slice(0, r.sentAt[0]))).toBe('PIN:');
    const end = screen(r.output);
    expect(end.some((l) => /: (working|waiting)/.test(l)), end.join('\n')).toBe(false);
    expect(end).toContain('2 keys done.');
  });
});
