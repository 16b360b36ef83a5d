import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openKey, parseJournal, provisionKeys, readHandoff } from '../../src/index.js';
import { type KeyUnderTest, startKey } from '../commands/harness.js';

let keys: KeyUnderTest[] = [];
afterEach(async () => {
  await Promise.all(keys.map((k) => k.close()));
  keys = [];
});

it('provisionKeys: generated PINs on file (0600) that the keys take, a journal line per key, resumed on a second run', async () => {
  keys = [await startKey(), await startKey({ profile: 'fido-2.3' })];
  const dir = mkdtempSync(join(tmpdir(), 'api-station-'));
  const journal = join(dir, 'j.jsonl');
  const handoff = join(dir, 'h.csv');
  const policy = { pin: true, minPinLength: { length: 10 } };
  const devices = keys.map((k) => k.device);
  const first = await provisionKeys(devices, policy, { journal, generatePins: handoff, station: 'lib' });
  expect(first.map((r) => [r.ok, r.outcome])).toEqual([[true, 'changed'], [true, 'changed']]);
  expect(first[1]!.model).toBe('fido2-manage virtual key (fido-2.3)');
  expect(statSync(handoff).mode & 0o777).toBe(0o600);
  const pins = readHandoff(handoff);
  for (const k of keys) {
    const pin = pins.get(k.device)!;
    expect(pin).toMatch(/^\d{10}$/);
    const key = await openKey(k.device);
    try {
      expect(await key.verifyPin(pin)).toBe(true);
    } finally {
      await key.close();
    }
  }
  const again = await provisionKeys(devices, policy, { journal, station: 'lib' });
  expect(again.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
  const { entries } = parseJournal(readFileSync(journal, 'utf8'));
  expect(entries.map((e) => [e.station, e.outcome])).toEqual([['lib', 'changed'], ['lib', 'changed'], ['lib', 'skipped'], ['lib', 'skipped']]);
});
