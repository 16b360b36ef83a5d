import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

let keys: KeyUnderTest[] = [];
let dir: string;
beforeAll(async () => {
  keys = await Promise.all(Array.from({ length: 32 }, () => startKey()));
  dir = mkdtempSync(join(tmpdir(), 'fleet32-'));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ pin: true, minPinLength: { length: 6 }, alwaysUv: true }));
});
afterAll(async () => {
  for (const k of keys) await k.close();
});

interface Entry {
  device: string;
  ok: boolean;
  changed?: boolean;
  steps?: Array<{ op: string; status: string }>;
  after?: { pinSet: boolean; minPinLength: number; alwaysUv: boolean };
  result?: Record<string, unknown>;
  error?: { kind: string; exitCode: number };
}

describe('32 keys in one run', () => {
  it('apply --dry-run then apply, with per-key results in JSON and text', async () => {
    const list = keys.map((k) => k.device).join(',');
    // The dry run is given the PIN the real run gets: it checks it the same way.
    const dry = await runCli(['apply', join(dir, 'policy.json'), '--device', list, '--dry-run', '--json'], { env: { FIDO2_NEW_PIN: '9753124680' } });
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { results: Entry[] };
    expect(plan.results).toHaveLength(32);
    for (const e of plan.results) expect(e.steps!.map((s) => s.op)).toEqual(['set-pin', 'min-pin-length', 'always-uv']);
    expect(keys.every((k) => !k.ctapCommands.includes(0x0d))).toBe(true);

    const r = await runCli(['apply', join(dir, 'policy.json'), '--device', list, '--json'], { env: { FIDO2_NEW_PIN: '9753124680' } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; results: Entry[]; summary: string };
    expect(doc.ok).toBe(true);
    expect(doc.summary).toBe('32 keys done.');
    expect(doc.results.map((e) => e.device)).toEqual(keys.map((k) => k.device));
    for (const e of doc.results) expect(e.after).toMatchObject({ pinSet: true, minPinLength: 6, alwaysUv: true });
    for (const k of keys) expect(k.key.snapshot().alwaysUv).toBe(true);

    const again = await runCli(['apply', join(dir, 'policy.json'), '--device', list], { env: { FIDO2_PIN: '9753124680' } });
    expect(again.code).toBe(0);
    const lines = again.stdout.trim().split('\n');
    expect(lines).toHaveLength(34);
    expect(lines.slice(1, 33).every((l) => /\bok\s+nothing to change$/.test(l))).toBe(true);
    expect(lines[33]).toBe('32 keys done.');
  });
});

describe('every key command on several keys', () => {
  it('info reads each key once, a repeated key only once, repeated --device and comma lists mixed', async () => {
    const [a, b, c] = keys;
    const r = await runCli(['info', '--device', `${a!.device},${b!.device}`, '--device', c!.device, '-d', a!.device, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; results: Entry[] };
    expect(doc.results.map((e) => e.device)).toEqual([a!.device, b!.device, c!.device]);
    for (const e of doc.results) expect(e.result).toMatchObject({ ctap2: true, pinRetries: 8 });
  });

  it('one key failing leaves the others done, with exit code 14 and the failing kind per key', async () => {
    const fresh = [await startKey(), await startKey(), await startKey()];
    try {
      const devs = fresh.map((k) => k.device);
      expect((await runCli(['set-pin', '--device', devs[1]!], { env: { FIDO2_PIN: '1111' } })).code).toBe(0);
      const pins = join(dir, 'pins.csv');
      writeFileSync(pins, `${devs[0]},2468\n${devs[1]},2468\n${devs[2]},1357\n`, { mode: 0o600 });
      // set-pin with a PIN per key: key 2 already has one.
      const r = await runCli(['set-pin', '--device', devs.join(','), '--pins', pins, '--json']);
      expect(r.code).toBe(14);
      const doc = JSON.parse(r.stdout) as { results: Entry[] };
      expect(doc.results.map((e) => (e.ok ? 'ok' : e.error!.kind))).toEqual(['ok', 'already-done', 'ok']);
      expect(doc.results[1]!.error!.exitCode).toBe(13);
      // Each key got its own PIN: verify-pin with the file passes on keys 1 and 3 only.
      const v = await runCli(['verify-pin', '--device', devs.join(','), '--pins', pins]);
      expect(v.code).toBe(14);
      expect(v.stdout).toMatch(/key 2 .*failed \(pin-invalid\)/);
      expect(v.stdout.trim().split('\n').at(-1)).toBe('2 keys done, 1 failed: key 2 (pin-invalid).');
      // All failing the same way gives that kind's own exit code.
      const all = await runCli(['verify-pin', '--device', devs.join(',')], { env: { FIDO2_PIN: '0000' } });
      expect(all.code).toBe(6);
      // uvs on all three with one PIN source: two succeed, the other's PIN is wrong.
      const u = await runCli(['uvs', '--device', devs.join(','), '--json'], { env: { FIDO2_PIN: '2468' } });
      const uvs = JSON.parse(u.stdout).results as Array<Entry & { before: { alwaysUv: boolean } | null; after: { alwaysUv: boolean } | null }>;
      expect(uvs.map((e) => e.ok)).toEqual([true, false, false]);
      // Each entry carries the state before and after, read from the key.
      expect(uvs.map((e) => [e.before?.alwaysUv, e.after?.alwaysUv])).toEqual([[false, true], [false, false], [false, false]]);
      expect(fresh.map((k) => k.key.snapshot().alwaysUv)).toEqual([true, false, false]);
    } finally {
      for (const k of fresh) await k.close();
    }
  });

  it('reset on several keys needs --yes', async () => {
    const r = await runCli(['reset', '--device', `${keys[0]!.device},${keys[1]!.device}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
  });
});
