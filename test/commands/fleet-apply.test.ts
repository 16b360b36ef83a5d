import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKey } from '../../src/index.js';
import { startFaultProxy, type ProxyFaults } from './fault-proxy.js';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

const SCRIPT = fileURLToPath(new URL('../python/read_state.py', import.meta.url));
const PIN = '24681357';
const OTHER_PIN = '11112222';
const POLICY = { pin: true, minPinLength: { length: 8 }, alwaysUv: true };

async function pythonView(device: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, device.split(':')[2]!]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Eight keys, each starting somewhere else. */
const keys: KeyUnderTest[] = [];
let vanishing: Awaited<ReturnType<typeof startFaultProxy>>;
const faults: ProxyFaults = {};
let devices: string[];
let dir: string;

beforeAll(async () => {
  for (const profile of ['fido-2.1', 'fido-2.1', 'fido-2.1-pre', 'fido-2.1', 'fido-2.1', 'fido-2.1', 'fido-2.1', 'fido-2.1'] as const) keys.push(await startKey({ profile }));
  const setUp = async (i: number, fn: (k: Awaited<ReturnType<typeof openKey>>) => Promise<unknown>) => {
    const k = await openKey(keys[i]!.device);
    try {
      await fn(k);
    } finally {
      await k.close();
    }
  };
  await setUp(1, (k) => k.setPin(PIN)); // 2: has the PIN already
  await setUp(3, (k) => k.setPin(OTHER_PIN)); // 4: rejects the PIN it is given
  await setUp(5, async (k) => {
    await k.setPin(PIN);
    await k.setMinPinLength(8, { pin: PIN });
    await k.setAlwaysUv(true, PIN);
  }); // 6: already compliant
  await setUp(6, (k) => k.setMinPinLength(10)); // 7: minimum above the policy's
  await setUp(7, (k) => k.setAlwaysUv(true)); // 8: always-UV on, no PIN
  vanishing = await startFaultProxy({ host: '127.0.0.1', port: Number(keys[4]!.device.split(':')[2]) }, faults); // 5: vanishes
  devices = keys.map((k, i) => (i === 4 ? vanishing.device : k.device));
  dir = mkdtempSync(join(tmpdir(), 'fleet-'));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(POLICY));
  writeFileSync(join(dir, 'pins.csv'), `selector,pin\n${devices[3]},${PIN}\n`);
  chmodSync(join(dir, 'pins.csv'), 0o600);
});
afterAll(async () => {
  await vanishing?.close();
  for (const k of keys) await k.close();
});

interface Entry {
  device: string;
  ok: boolean;
  changed: boolean;
  error?: { kind: string; exitCode: number; message: string };
  steps: Array<{ op: string; status: string }>;
  before: { pinSet?: boolean; minPinLength: number; alwaysUv?: boolean } | null;
  after: { pinSet?: boolean; minPinLength: number; alwaysUv?: boolean } | null;
}

const apply = (extra: string[]) =>
  runCli(['apply', join(dir, 'policy.json'), '--device', devices.join(','), '--pins', join(dir, 'pins.csv'), '--timeout', '3', '--json', ...extra], { env: { FIDO2_PIN: PIN } });

describe('apply over 8 keys in different states', () => {
  it('dry run: plans each key and sends nothing that changes a key', async () => {
    const changesBefore = keys.map((k) => k.ctapCommands.filter((c) => c === 0x0d).length);
    const statesBefore = keys.map((k) => k.key.snapshot());
    const r = await apply(['--dry-run']);
    expect(r.code).toBe(14);
    const doc = JSON.parse(r.stdout) as { ok: boolean; dryRun: boolean; results: Entry[] };
    expect(doc).toMatchObject({ ok: false, dryRun: true });
    const plan = doc.results.map((e) => (e.ok ? e.steps.map((s) => `${s.op}:${s.status}`) : e.error!.kind));
    expect(plan).toEqual([
      ['set-pin:planned', 'min-pin-length:planned', 'always-uv:planned'],
      ['min-pin-length:planned', 'always-uv:planned'],
      'unsupported',
      ['min-pin-length:planned', 'always-uv:planned'],
      ['set-pin:planned', 'min-pin-length:planned', 'always-uv:planned'],
      [],
      'pin-policy',
      ['set-pin:planned', 'min-pin-length:planned'],
    ]);
    expect(doc.results[2]!.error!.message).toMatch(/FIDO_2_1_PRE/);
    expect(doc.results[6]!.error!.message).toMatch(/minimum PIN length is 10/);
    // No authenticatorConfig command reached any key, and no key changed (clientPIN only read the retries).
    expect(keys.map((k) => k.ctapCommands.filter((c) => c === 0x0d).length)).toEqual(changesBefore);
    expect(keys.map((k) => k.key.snapshot())).toEqual(statesBefore);
  });

  it('applies: the failing keys fail with their reason and leave the others done; python-fido2 agrees', async () => {
    // The vanishing key disappears a few reports into its changes.
    faults.vanishAfterHostReports = vanishing.hostReports() + 5;
    const r = await apply([]);
    expect(r.code).toBe(14);
    expect(r.stdout + r.stderr).not.toContain(PIN);
    const doc = JSON.parse(r.stdout) as { results: Entry[]; summary: string };
    const outcome = doc.results.map((e) => (e.ok ? (e.changed ? 'changed' : 'ok') : e.error!.kind));
    expect(outcome).toEqual(['changed', 'changed', 'unsupported', 'pin-invalid', 'transport', 'ok', 'pin-policy', 'changed']);
    expect(doc.summary).toBe('4 keys done, 4 failed: key 3 (unsupported), key 4 (pin-invalid), key 5 (transport), key 7 (pin-policy).');
    expect(doc.results[3]!.error).toMatchObject({ exitCode: 6 });
    expect(doc.results[3]!.steps.every((s) => s.status === 'not-run')).toBe(true);
    for (const i of [0, 1, 5]) expect(doc.results[i]!.after).toMatchObject({ pinSet: true, minPinLength: 8, alwaysUv: true });
    expect(doc.results[7]!.after).toMatchObject({ pinSet: true, minPinLength: 8, alwaysUv: true });
    expect(doc.results[0]!.before).toMatchObject({ pinSet: false, minPinLength: 4, alwaysUv: false });
    // An independent client reads the final state of two keys.
    expect(await pythonView(keys[0]!.device)).toMatchObject({ clientPin: true, alwaysUv: true, minPINLength: 8, forcePINChange: false });
    expect(await pythonView(keys[7]!.device)).toMatchObject({ clientPin: true, alwaysUv: true, minPINLength: 8 });
    // The key that rejected the PIN and the 2.1-PRE key are unchanged.
    expect(await pythonView(keys[3]!.device)).toMatchObject({ clientPin: true, alwaysUv: false, minPINLength: 4, pinRetries: 7 });
    expect(keys[2]!.ctapCommands.filter((c) => c === 0x06 || c === 0x0d)).toEqual([]);
  });

  it('applied twice, changes nothing the second time', async () => {
    const r = await apply([]);
    const doc = JSON.parse(r.stdout) as { results: Entry[] };
    expect(doc.results.filter((e) => e.ok).map((e) => e.changed)).toEqual([false, false, false, false]);
    for (const e of doc.results.filter((x) => x.ok)) expect(e.steps).toEqual([]);
  });

  it('prints a table and a summary line for people', async () => {
    const r = await runCli(['apply', join(dir, 'policy.json'), '--device', [devices[0], devices[2], devices[0]].join(','), '--dry-run']);
    expect(r.code).toBe(14);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^KEY\s+SERIAL\/MODEL\s+OUTCOME\s+WHAT CHANGED$/);
    expect(lines).toHaveLength(4); // header, two keys (the repeat is one key), summary
    // Keys without a USB serial are named by their model, from the AAGUID.
    expect(lines[1]).toMatch(/key 1 .*fido2-manage virtual key \(fido-2\.1\)\s+planned\s+nothing to change/);
    expect(lines[2]).toMatch(/key 2 .* failed \(unsupported\)/);
    expect(lines[3]).toBe('1 key done, 1 failed: key 2 (unsupported).');
  });

  it('refuses a bad policy before touching any key, naming the field', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ pin: true, alwaysUV: true }));
    const before = keys[0]!.ctapCommands.length;
    const r = await runCli(['apply', join(dir, 'bad.json'), '--device', devices.join(','), '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toContain('"alwaysUV"');
    expect(keys[0]!.ctapCommands.length).toBe(before);
  });
});

describe('apply --dry-run makes the local checks the real run makes', () => {
  it.each([
    ['no PIN given', {}, 'pin-required', 9],
    ['a new PIN shorter than the minimum the policy sets', { FIDO2_PIN: '1234' }, 'pin-policy', 8],
  ] as const)('%s: the dry run fails as the real run does, and the key is unchanged', async (_name, env, kind, code) => {
    const k = await startKey();
    try {
      const d = mkdtempSync(join(tmpdir(), 'fleet-dry-'));
      writeFileSync(join(d, 'policy.json'), JSON.stringify(POLICY));
      const run = (extra: string[]) => runCli(['apply', join(d, 'policy.json'), '--device', k.device, '--json', ...extra], { env });
      const dry = await run(['--dry-run']);
      expect(dry.code, dry.stdout).toBe(code);
      const doc = JSON.parse(dry.stdout) as { results: Entry[] };
      expect(doc.results[0]!.error).toMatchObject({ kind });
      expect(k.key.snapshot().pin).toBeUndefined();
      // The real run fails the same way, before sending a change.
      const real = await run([]);
      expect(real.code).toBe(code);
      expect(k.ctapCommands.filter((c) => c === 0x0d)).toEqual([]);
      expect(k.key.snapshot().pin).toBeUndefined();
    } finally {
      await k.close();
    }
  });
});
