/**
 * The provisioning station against served virtual keys that come and go
 * (unplug()/plugIn()): plug, provision, remove, next; two keys at once; a key
 * that fails; keys present at the start; allowedAaguids; generated PINs read back
 * by python-fido2; `kill -9` mid-batch and resume.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openKey } from '../../src/index.js';
import { USB_KEY_LATENCY, withLatency } from '../../src/sim/latency.js';
import { readHandoff } from '../../src/fleet/handoff.js';
import { parseJournal } from '../../src/fleet/journal.js';
import { type KeyUnderTest, runCli, startKey, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PIN_TOKEN = fileURLToPath(new URL('../python/pin_token.py', import.meta.url));
const POLICY = { pin: true, minPinLength: { length: 8 }, alwaysUv: true };
const SET_PIN = 0x03;
/** Every wait here is bounded: a station that never answers fails the test instead of hanging it. */
const WAIT_MS = 15_000;

vi.setConfig({ testTimeout: 90_000 });

let keys: KeyUnderTest[] = [];
let stations: Station[] = [];
afterEach(async () => {
  for (const s of stations) s.child.kill('SIGKILL');
  await Promise.all(keys.map((k) => k.close()));
  keys = [];
  stations = [];
});

async function unpluggedKeys(n: number): Promise<KeyUnderTest[]> {
  const out: KeyUnderTest[] = [];
  for (let i = 0; i < n; i++) {
    const k = await startKey();
    await k.unplug();
    out.push(k);
  }
  keys.push(...out);
  return out;
}

function workDir(policy: object = POLICY): { dir: string; policy: string; journal: string; handoff: string } {
  const dir = mkdtempSync(join(tmpdir(), 'station-'));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
  return { dir, policy: join(dir, 'policy.json'), journal: join(dir, 'journal.jsonl'), handoff: join(dir, 'handoff.csv') };
}

interface Station {
  child: ReturnType<typeof spawn>;
  stdout(): string;
  /** The next JSON event line matching, not returned before. */
  next(pred: (e: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  /** Resolves once stdout satisfies the predicate. */
  until(pred: (out: string) => boolean, what: string): Promise<void>;
  /** Resolves once the station has looked at what is attached at its start. */
  ready(): Promise<void>;
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

function station(args: string[], env: Record<string, string> = {}): Station {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FIDO2_PIN: undefined, FIDO2_NEW_PIN: undefined, ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const taken = new Set<number>();
  let wake: () => void = () => undefined;
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), wake()));
  child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), wake()));
  const closed = new Promise<number>((resolve) => child.on('close', (code) => (resolve(code ?? -1), wake())));
  const until = async (pred: (o: string) => boolean, what: string, stream: () => string = () => out): Promise<void> => {
    const deadline = Date.now() + WAIT_MS;
    while (!pred(stream())) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`station: no ${what}; stdout:\n${out}\nstderr:\n${err}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
  };
  const s: Station = {
    child,
    stdout: () => out,
    until,
    ready: () => until((e) => e.includes('Provisioning station: watching'), 'ready notice', () => err),
    async next(pred, what) {
      let found: Record<string, unknown> | undefined;
      await until(() => {
        const lines = out.split('\n').slice(0, -1);
        for (let i = 0; i < lines.length; i++) {
          if (taken.has(i)) continue;
          const e = JSON.parse(lines[i]!) as Record<string, unknown>;
          if (pred(e)) {
            taken.add(i);
            found = e;
            return true;
          }
        }
        return false;
      }, what);
      return found!;
    },
    async stop() {
      child.kill('SIGINT');
      const code = await closed;
      return { code, stdout: out, stderr: err };
    },
  };
  stations.push(s);
  return s;
}

const of = (k: KeyUnderTest) => (e: Record<string, unknown>) => e.device === k.device;
const resultOf = (k: KeyUnderTest) => (e: Record<string, unknown>) => e.event === 'result' && e.device === k.device;

async function tokenWith(k: KeyUnderTest, pin: string): Promise<{ token: boolean; error?: string }> {
  const port = k.device.split(':')[2]!;
  return new Promise((resolve, reject) => {
    const p = execFile('/usr/bin/python3', [PIN_TOKEN, port], (e, stdout) => (e ? reject(e) : resolve(JSON.parse(stdout) as { token: boolean })));
    p.stdin!.end(`${pin}\n`);
  });
}

describe('apply --watch', () => {
  it('plug, provision, remove, next: each key once while attached, generated PINs on file and accepted by the key', async () => {
    const [a, b] = await unpluggedKeys(2);
    const w = workDir();
    const st = station(['apply', w.policy, '--watch', '--json', '--device', `${a!.device},${b!.device}`, '--journal', w.journal, '--generate-pins', w.handoff, '--station', 'desk-1']);
    await st.ready();
    await a!.plugIn();
    const ra = await st.next(resultOf(a!), 'result for key a');
    expect(ra).toMatchObject({ ok: true, outcome: 'changed', command: 'apply', model: 'fido2-manage virtual key (fido-2.1)' });
    expect(ra.pinHandoff).toBe(`${w.handoff}#1`);
    await a!.unplug();
    await st.next((e) => e.event === 'removed' && of(a!)(e), 'a removed');
    await b!.plugIn();
    expect(await st.next(resultOf(b!), 'result for key b')).toMatchObject({ ok: true, outcome: 'changed' });
    // a comes back: the journal has it done under this policy and it still complies, so nothing is sent.
    await a!.plugIn();
    expect(await st.next(resultOf(a!), 'second result for key a')).toMatchObject({ ok: true, outcome: 'skipped', steps: [] });
    const r = await st.stop();
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // b stayed attached the whole time after its result: provisioned once.
    expect(events.filter(resultOf(b!))).toHaveLength(1);
    expect(events.filter(resultOf(a!))).toHaveLength(2);
    expect(a!.clientPinSubCommands.filter((c) => c === SET_PIN)).toHaveLength(1);
    expect(b!.clientPinSubCommands.filter((c) => c === SET_PIN)).toHaveLength(1);

    // The hand-off file: new, 0600, one row per key made, each PIN of the key's rules and the one the key takes.
    expect(statSync(w.handoff).mode & 0o777).toBe(0o600);
    const handoff = readHandoff(w.handoff);
    expect([...handoff.keys()].sort()).toEqual([a!.device, b!.device].sort());
    for (const k of [a!, b!]) {
      const pin = handoff.get(k.device)!;
      expect(pin).toMatch(/^\d{8,}$/);
      expect(await tokenWith(k, pin)).toEqual({ token: true });
    }
    // The read-back can tell: another PIN of the same form gets no token.
    expect(await tokenWith(a!, handoff.get(a!.device) === '00000000' ? '11111111' : '00000000')).toMatchObject({ token: false });
    // The journal: one line per key event worked, no PIN anywhere in it, the hand-off reference instead.
    const text = readFileSync(w.journal, 'utf8');
    for (const pin of handoff.values()) expect(text).not.toContain(pin);
    const { entries, skipped } = parseJournal(text);
    expect(skipped).toBe(0);
    expect(entries.map((e) => [e.key.id, e.outcome, e.station])).toEqual([
      [a!.device, 'changed', 'desk-1'],
      [b!.device, 'changed', 'desk-1'],
      [a!.device, 'skipped', 'desk-1'],
    ]);
    expect(entries[0]).toMatchObject({ pinHandoff: `${w.handoff}#1`, key: { transport: 'tcp', aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000021' } });
    expect(entries[0]!.steps.map((s) => [s.op, s.status])).toEqual([['set-pin', 'done'], ['min-pin-length', 'done'], ['always-uv', 'done']]);

    // The hand-off file is never overwritten: a second station on it is refused before any key is touched.
    const before = readFileSync(w.handoff, 'utf8');
    const again = await runCli(['apply', w.policy, '--device', a!.device, '--generate-pins', w.handoff]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists already/);
    expect(readFileSync(w.handoff, 'utf8')).toBe(before);
  });

  it('two keys plugged at once are both worked on, each with its large result line and "remove the key"', async () => {
    const [a, b] = await unpluggedKeys(2);
    const w = workDir({ minPinLength: { length: 6 } });
    const st = station(['apply', w.policy, '--watch', '--device', `${a!.device},${b!.device}`]);
    await st.ready();
    await Promise.all([a!.plugIn(), b!.plugIn()]);
    await st.until((o) => (o.match(/remove the key/g) ?? []).length === 2, 'two results');
    const r = await st.stop();
    expect(r.code, r.stderr).toBe(0);
    for (const k of [a!, b!]) expect(r.stdout).toMatch(new RegExp(`=+  DONE  =+  key \\d \\(${k.device.replace(/\./g, '\\.')}\\)`));
    expect(r.stderr).toMatch(/Station stopped\. 2 keys done\./);
  });

  it('a key that fails says why, is journaled as failed, and the station goes on; keys present at start are left alone unless included', async () => {
    const wrong = await startKeyWithPin('11112222');
    const present = await startKey();
    keys.push(wrong, present);
    const w = workDir();
    const st = station(['apply', w.policy, '--watch', '--json', '--device', `${present.device}`, '--journal', w.journal], { FIDO2_PIN: '24681357' });
    expect(await st.next(of(present), 'present')).toMatchObject({ event: 'present', ok: true });
    const r1 = await st.stop();
    expect(r1.code).toBe(0);
    expect(present.ctapCommands).toEqual([]);

    const st2 = station(['apply', w.policy, '--watch', '--json', '--include-present', '--device', wrong.device, '--journal', w.journal], { FIDO2_PIN: '24681357' });
    const res = await st2.next(resultOf(wrong), 'failed result');
    expect(res).toMatchObject({ ok: false, outcome: 'failed', error: { kind: 'pin-invalid', exitCode: 6 } });
    const r2 = await st2.stop();
    expect(r2.code).toBe(6);
    const { entries } = parseJournal(readFileSync(w.journal, 'utf8'));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: 'failed', error: { kind: 'pin-invalid' } });
  });
});

describe('apply with a journal', () => {
  it('refuses a key whose AAGUID the policy does not allow, changing nothing, and journals why', async () => {
    const k = await startKey();
    keys.push(k);
    const w = workDir({ ...POLICY, allowedAaguids: ['cb69481e-8ff7-4039-93ec-0a2729a154a8'] });
    const r = await runCli(['apply', w.policy, '--device', k.device, '--journal', w.journal, '--json'], { env: { FIDO2_PIN: '24681357' } });
    expect(r.code, r.stderr).toBe(17);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ ok: false, outcome: 'failed', error: { kind: 'wrong-key', reason: 'aaguid-not-allowed' } });
    expect(k.ctapCommands.every((c) => c === 0x04)).toBe(true);
    const { entries } = parseJournal(readFileSync(w.journal, 'utf8'));
    expect(entries[0]).toMatchObject({ outcome: 'failed', steps: [], error: { kind: 'wrong-key', reason: 'aaguid-not-allowed' } });
    const info = await runCli(['info', '--device', k.device, '--json']);
    expect(JSON.parse(info.stdout).info.options.clientPin).toBe(false);
  });

  it('kill -9 mid-batch, then resume: no torn line, nothing done twice, nothing lost; a key changed since is done again', async () => {
    const n = 6;
    for (let i = 0; i < n; i++) {
      const k = await startKey();
      withLatency(k.key, USB_KEY_LATENCY);
      keys.push(k);
    }
    const w = workDir();
    const args = ['apply', w.policy, '--device', keys.map((k) => k.device).join(','), '--jobs', '1', '--journal', w.journal];
    const env = { FIDO2_PIN: '24681357' };
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const deadline = Date.now() + WAIT_MS;
    while (!(existsSync(w.journal) && readFileSync(w.journal, 'utf8').split('\n').length > 2)) {
      if (Date.now() > deadline) throw new Error('the batch wrote no journal lines');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const first = readFileSync(w.journal, 'utf8');
    expect(first.endsWith('\n')).toBe(true);
    const done1 = parseJournal(first);
    expect(done1.skipped).toBe(0);
    expect(done1.entries.length).toBeGreaterThanOrEqual(2);

    const r = await runCli([...args, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout).results as { device: string; outcome: string }[];
    const doneFirst = new Set(done1.entries.map((e) => e.key.id));
    for (const res of results) expect(res.outcome).toBe(doneFirst.has(res.device) ? 'skipped' : 'changed');
    // Nothing done twice: one setPIN per key over both runs; nothing lost: every key compliant now.
    for (const k of keys) expect(k.clientPinSubCommands.filter((c) => c === SET_PIN), k.device).toHaveLength(1);
    const all = parseJournal(readFileSync(w.journal, 'utf8'));
    expect(all.skipped).toBe(0);
    expect(new Set(all.entries.map((e) => e.key.id)).size).toBe(n);

    // A key whose state changed since it was done is done again, and says so.
    const changed = await openKey(keys[0]!.device);
    await changed.setAlwaysUv(false, '24681357');
    await changed.close();
    const again = await runCli([...args, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    const res = JSON.parse(again.stdout).results as { device: string; outcome: string; redone?: boolean }[];
    expect(res[0]).toMatchObject({ outcome: 'changed', redone: true });
    expect(res.slice(1).every((x) => x.outcome === 'skipped')).toBe(true);
  });

  it('kill -9 mid-batch with generated PINs: resumed with the hand-off file as --pins, every key ends with a PIN that is on file', async () => {
    const n = 5;
    for (let i = 0; i < n; i++) {
      const k = await startKey();
      withLatency(k.key, USB_KEY_LATENCY);
      keys.push(k);
    }
    const w = workDir();
    const base = ['apply', w.policy, '--device', keys.map((k) => k.device).join(','), '--jobs', '1', '--journal', w.journal];
    const child = spawn(process.execPath, [BIN, ...base, '--generate-pins', w.handoff], { env: { ...process.env, FIDO2_PIN: undefined }, stdio: 'ignore' });
    const deadline = Date.now() + WAIT_MS;
    // Killed as soon as a second PIN is on file: that key may have it set, with its journal line not yet written.
    while (!(existsSync(w.handoff) && readFileSync(w.handoff, 'utf8').split('\n').length > 3)) {
      if (Date.now() > deadline) throw new Error('the batch made no PINs');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const second = join(w.dir, 'handoff-2.csv');
    const r = await runCli([...base, '--pins', w.handoff, '--generate-pins', second, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const pins = new Map([...readHandoff(w.handoff), ...readHandoff(second)]);
    expect(pins.size).toBe(n);
    for (const k of keys) {
      expect(k.clientPinSubCommands.filter((c) => c === SET_PIN), k.device).toHaveLength(1);
      expect(await tokenWith(k, pins.get(k.device)!), k.device).toEqual({ token: true });
    }
    expect(parseJournal(readFileSync(w.journal, 'utf8')).skipped).toBe(0);
  });
});
