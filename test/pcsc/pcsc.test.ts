/**
 * The CLI over PC/SC against the virtual key as a card (`sim --vpcd`) in
 * pcscd's vpcd reader. Needs pcscd, vsmartcard-vpcd, python3-fido2 and
 * pyscard: scripts/test-pcsc.sh starts pcscd and a fresh sim and sets
 * FIDO2_PCSC_TEST=1. Without it the file is skipped, saying so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/harness.js';

const enabled = process.env.FIDO2_PCSC_TEST === '1';
const title = enabled ? 'PC/SC: the CLI against sim --vpcd' : 'PC/SC: the CLI against sim --vpcd — SKIPPED: needs pcscd and vpcd; run scripts/test-pcsc.sh (sets FIDO2_PCSC_TEST=1)';
if (!enabled) console.warn(`${title}`);
const DEVICE = ['--device', 'pcsc:Virtual'];
const PIN = '24681357';
const MAKE_PASSKEY = fileURLToPath(new URL('./make_passkey.py', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));

interface Info {
  device: string;
  pcsc?: { applet: string };
  info: { options: Record<string, boolean>; minPINLength?: number };
  pinRetries?: number;
}

async function info(): Promise<Info> {
  const r = await runCli(['info', '--json', ...DEVICE]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Info;
}

// The steps build on each other (one card, one state): they run in order.
describe.skipIf(!enabled).sequential(title, () => {
  it('list shows the vpcd reader with its FIDO key, transport pcsc', async () => {
    const r = await runCli(['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const devices = (JSON.parse(r.stdout) as { devices: { transport: string; reader?: string; path: string; applet?: string }[] }).devices;
    // The card's model, from its getInfo AAGUID read over the reader.
    expect(devices).toContainEqual(
      expect.objectContaining({ transport: 'pcsc', reader: 'Virtual PCD 00 00', path: 'pcsc:Virtual PCD 00 00', applet: 'FIDO_2_0', model: 'fido2-manage virtual key (fido-2.1)' }),
    );
    // The empty second vpcd slot holds no key, so it is not listed.
    expect(devices.some((d) => d.reader === 'Virtual PCD 00 01')).toBe(false);
    const text = await runCli(['list']);
    expect(text.stdout).toMatch(/pcsc:Virtual PCD 00 00 via pcsc, model fido2-manage virtual key \(fido-2\.1\)/);
  });

  it('info reads getInfo over NFCCTAP_MSG: a fresh card, no PIN', async () => {
    const i = await info();
    expect(i.device).toBe('pcsc:Virtual PCD 00 00');
    expect(i.pcsc?.applet).toBe('FIDO_2_0');
    expect(i.info.options.clientPin).toBe(false);
    expect(i.info.options.alwaysUv).toBe(false);
  });

  it('a passkey made by python-fido2 over PC/SC, then set-pin: the key reads clientPin on and 8 retries', async () => {
    execFileSync('/usr/bin/python3', [MAKE_PASSKEY, 'Virtual', 'a.example', 'alice'], { stdio: 'pipe' });
    const r = await runCli(['set-pin', ...DEVICE], { env: { FIDO2_NEW_PIN: PIN } });
    expect(r.code, r.stderr).toBe(0);
    const i = await info();
    expect(i.info.options.clientPin).toBe(true);
    expect(i.pinRetries).toBe(8);
  });

  it('credentials list shows the passkey python-fido2 made, with the PIN, spending no attempt', async () => {
    const r = await runCli(['credentials', 'list', '--json', ...DEVICE], { env: { FIDO2_PIN: PIN } });
    expect(r.code, r.stderr).toBe(0);
    const listing = JSON.stringify(JSON.parse(r.stdout));
    expect(listing).toContain('a.example');
    expect(listing).toContain('alice');
    expect((await info()).pinRetries).toBe(8);
  });

  it('uvs turns always-UV on, read back by info', async () => {
    const r = await runCli(['uvs', ...DEVICE], { env: { FIDO2_PIN: PIN } });
    expect(r.code, r.stderr).toBe(0);
    expect((await info()).info.options.alwaysUv).toBe(true);
  });

  it('apply raises the minimum PIN length on the card (index-free pcsc selector), read back by info', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fido2-pcsc-'));
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ pin: true, minPinLength: { length: 6 }, alwaysUv: true }));
    const r = await runCli(['apply', policy, ...DEVICE], { env: { FIDO2_PIN: PIN } });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const i = await info();
    expect(i.info.minPINLength).toBe(6);
    expect(i.info.options.alwaysUv).toBe(true);
    // Again: nothing left to do.
    const again = await runCli(['apply', policy, '--json', ...DEVICE], { env: { FIDO2_PIN: PIN } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/"changed": false/);
  });

  it('a reader name that matches nothing is exit 3 (no-device), one line, naming the readers', async () => {
    const r = await runCli(['info', '--device', 'pcsc:no such reader']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No PC\/SC reader matches "no such reader"/);
  });

  it('selection by touch includes the card: select --device pcsc:Virtual, and --device touch picks the card on its own', async () => {
    const named = await runCli(['select', '--device', 'pcsc:Virtual', '--json']);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(named.stdout))).toMatch(/pcsc:Virtual PCD 00 00/);
    // No HID key here: the candidates for a bare touch are the readers' cards, and being in the field is the touch.
    const touched = await runCli(['info', '--device', 'touch', '--json']);
    expect(touched.code, touched.stderr).toBe(0);
    expect((JSON.parse(touched.stdout) as Info).device).toBe('pcsc:Virtual PCD 00 00');
  });

  it('a card placed on the reader during the touch wait is the key selected (none there when the wait began)', async () => {
    const simPid = Number(process.env.FIDO2_PCSC_SIM_PID);
    expect(simPid, 'scripts/test-pcsc.sh passes the sim pid').toBeGreaterThan(0);
    // SIGUSR2: the virtual card leaves the reader and stays out until the next SIGUSR2.
    process.kill(simPid, 'SIGUSR2');
    let out = false;
    for (let i = 0; i < 50 && !out; i++) {
      const l = await runCli(['list', '--json']);
      out = !l.stdout.includes('"pcsc"');
      if (!out) await new Promise((res) => setTimeout(res, 200));
    }
    expect(out, 'the card left the reader').toBe(true);
    let placed = false;
    const r = await runCli(['select', '--json', '--timeout', '20'], {
      onStderr: (text) => {
        // The wait has begun with no key anywhere: now the card is laid on the reader.
        if (!placed && /Put the key on a PC\/SC reader/.test(text)) {
          placed = true;
          process.kill(simPid, 'SIGUSR2');
        }
      },
    });
    if (!placed) process.kill(simPid, 'SIGUSR2'); // put it back for the next test either way
    expect(placed).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, device: 'pcsc:Virtual PCD 00 00', selected: { path: 'pcsc:Virtual PCD 00 00' } });
  });

  it('the provisioning station over NFC: a card on the reader is provisioned, taken off is removed, laid on again is a new arrival', async () => {
    const simPid = Number(process.env.FIDO2_PCSC_SIM_PID);
    expect(simPid, 'scripts/test-pcsc.sh passes the sim pid').toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'fido2-pcsc-'));
    const policy = join(dir, 'policy.json');
    const journal = join(dir, 'station.jsonl');
    writeFileSync(policy, JSON.stringify({ minPinLength: { length: 8 } }));
    const station = spawn(process.execPath, [BIN, 'apply', policy, '--watch', '--include-present', '--journal', journal, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FIDO2_PIN: PIN },
    });
    let stdout = '';
    let stderr = '';
    station.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    station.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((done) => station.on('close', (code) => done(code)));
    type Event = { event: string; device: string; outcome?: string; steps?: { op: string; status: string }[] };
    const events = (): Event[] => stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Event);
    const count = (event: string): number => events().filter((e) => e.event === event && e.device === 'pcsc:Virtual PCD 00 00').length;
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(ok(), `${what}\n${stdout}\n${stderr}`).toBe(true);
    };
    let out = false;
    try {
      await until('the card on the reader provisioned', () => count('result') === 1);
      process.kill(simPid, 'SIGUSR2'); // off the reader
      out = true;
      await until('the card seen gone', () => count('removed') === 1);
      process.kill(simPid, 'SIGUSR2'); // laid on again
      out = false;
      await until('the card seen again, as a new arrival', () => count('result') === 2);
      station.kill('SIGINT');
      expect(await closed, stderr).toBe(0);
    } finally {
      if (out) process.kill(simPid, 'SIGUSR2');
      station.kill('SIGKILL');
    }
    const results = events().filter((e) => e.event === 'result');
    expect(results.map((e) => e.outcome)).toEqual(['changed', 'skipped']); // the journal has it done under this policy
    expect(results[0]!.steps!.map((s) => [s.op, s.status])).toEqual([['min-pin-length', 'done']]);
    expect(count('arrived')).toBe(2);
    const lines = readFileSync(journal, 'utf8').split('\n').filter((l) => l !== '');
    expect(lines.map((l) => (JSON.parse(l) as { key: { transport: string; id: string } }).key)).toEqual([
      expect.objectContaining({ transport: 'pcsc', id: 'pcsc:Virtual PCD 00 00' }),
      expect.objectContaining({ transport: 'pcsc', id: 'pcsc:Virtual PCD 00 00' }),
    ]);
    expect((await info()).info.minPINLength).toBe(8);
    for (const text of [stdout, stderr, lines.join('\n')]) expect(text).not.toContain(PIN);
  });

  it('the guided reset over PC/SC: the card off the reader and back on, then the reset; the key reads no PIN', async () => {
    const simPid = Number(process.env.FIDO2_PCSC_SIM_PID);
    expect(simPid, 'scripts/test-pcsc.sh passes the sim pid').toBeGreaterThan(0);
    let pulled = false;
    const r = await runCli(['reset', '--yes', '--json', ...DEVICE], {
      onStderr: (text) => {
        // The virtual card leaves the reader on SIGUSR1 and comes back a second later, as a person would do it.
        if (!pulled && /Take the key off the reader/.test(text)) {
          pulled = true;
          process.kill(simPid, 'SIGUSR1');
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(pulled).toBe(true);
    expect(r.stderr).toMatch(/The key is out/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, reset: true, before: { pinSet: true }, after: { pinSet: false } });
    expect((await info()).info.options.clientPin).toBe(false);
  });
});
