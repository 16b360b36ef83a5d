/**
 * `uv-check --live` on the virtual key in every state and profile: the key
 * answers as predicted in every cell, nothing stays on it, and a key that
 * lets a sign-in through without PIN under always-UV is flagged (exit 19).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { freshState } from '../../src/sim/state.js';
import { aaguidBytes, profile as profileOf } from '../../src/sim/profiles.js';
import { type KeyUnderTest, runCli, startKey } from './harness.js';
import { startSim } from '../../src/commands/sim.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const PIN = { FIDO2_PIN: '4821' };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface State {
  name: string;
  key: VirtualKeyOptions;
  /** CLI commands that bring the fresh key into the state. */
  setup: string[][];
  pin: boolean;
  only21?: boolean;
  /** What sign-in / discouraged must observe: the case each state is about. */
  signIn: string;
  register: string;
}

const STATES: State[] = [
  { name: 'no PIN', key: {}, setup: [], pin: false, register: 'touch', signIn: 'touch' },
  { name: 'PIN', key: {}, setup: [['set-pin']], pin: true, register: 'touch', signIn: 'touch' },
  { name: 'PIN + always-UV', key: {}, setup: [['set-pin'], ['uvs']], pin: true, only21: true, register: 'pin', signIn: 'pin' },
  { name: 'built-in UV', key: { uv: true, fingers: 1 }, setup: [], pin: false, register: 'touch', signIn: 'touch' },
  { name: 'built-in UV + always-UV', key: { uv: true, fingers: 2 }, setup: [['uvs', '--uv']], pin: false, only21: true, register: 'fingerprint', signIn: 'fingerprint' },
  { name: 'sensor without a finger', key: { uv: true, fingers: 0 }, setup: [], pin: false, register: 'touch', signIn: 'touch' },
  { name: 'PIN + built-in UV (the finger first)', key: { uv: true }, setup: [['set-pin']], pin: true, register: 'touch', signIn: 'touch' },
  { name: 'makeCredUvNotRqd off', key: { makeCredUvNotRqd: false }, setup: [['set-pin']], pin: true, register: 'pin', signIn: 'touch' },
];
const PROFILES = ['fido-2.1', 'fido-2.1-pre', 'fido-2.0'] as const;

const CASES = PROFILES.flatMap((profile) => STATES.filter((s) => profile === 'fido-2.1' || !s.only21).map((s) => [profile, s.name, s] as const));

/** Before 2.1 there is no makeCredUvNotRqd: a protected key wants UV on every registration (CTAP 2.0 §5.1 step 6). */
function expectedRegister(profile: string, s: State): string {
  if (profile === 'fido-2.1') return s.register;
  if (s.key.uv && s.key.fingers !== 0) return 'fingerprint';
  return s.pin ? 'pin' : 'touch';
}

async function live(args: string[], env?: Record<string, string>): Promise<{ code: number; json: Json; stderr: string }> {
  const r = await runCli(['uv-check', '--device', k!.device, '--live', '--json', ...args], env ? { env } : {});
  return { code: r.code, json: JSON.parse(r.stdout) as Json, stderr: r.stderr };
}

describe('uv-check --live observes what was predicted', () => {
  it.each(CASES)('%s, %s', async (profile, _name, s) => {
    k = await startKey({ profile, ...s.key });
    for (const step of s.setup) {
      const r = await runCli([...step, '--device', k.device], { env: PIN });
      expect(r.code, r.stderr).toBe(0);
    }
    const { code, json, stderr } = await live([], s.pin ? PIN : undefined);
    expect(code, stderr).toBe(0);
    expect(json.ok).toBe(true);
    expect(json.live.deviations).toEqual([]);
    for (const row of ['register', 'sign-in']) {
      for (const column of ['discouraged', 'preferred', 'required']) {
        const cell = json.matrix[row][column];
        expect(cell.matches, `${row}/${column}: ${JSON.stringify(cell)}`).toBe(true);
        expect(cell.observed.outcome).toBe(cell.predicted.outcome);
        expect(cell.observed.uv).toBe(cell.predicted.uv);
      }
    }
    expect(json.matrix.register.discouraged.observed.outcome).toBe(expectedRegister(profile, s));
    expect(json.matrix['sign-in'].discouraged.observed.outcome).toBe(s.signIn);
    expect(json.live.silentSignIn).toMatchObject({ matches: true, observed: { status: 'ok', up: false, uv: false } });
    // The PIN is asked for only where a request needs it.
    const pinAsked = json.live.probes.some((p: Json) => p.pinAsked);
    expect(pinAsked).toBe(s.pin && !s.key.uv);
    // Touches counted as announced: "Touch your key (n of N)".
    expect(stderr).toContain(`(${json.live.touches} of ${json.live.touches})`);
    // Non-discoverable credentials only: nothing stays on the key.
    expect(k.key.snapshot().credentials).toHaveLength(0);
  });

  it('prints the table and the notes without --live, and sends nothing but getInfo', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    expect((await runCli(['uvs', '--device', k.device], { env: PIN })).code).toBe(0);
    const before = k.ctapCommands.length;
    const r = await runCli(['uv-check', '--device', k.device]);
    expect(r.code, r.stderr).toBe(0);
    expect(k.ctapCommands.slice(before)).toEqual([0x04]);
    expect(r.stdout).toMatch(/^sign-in\s+PIN, UV 1\s+PIN, UV 1\s+PIN, UV 1$/m);
    expect(r.stdout).toMatch(/always-UV is on, so the key asks/);
    expect(r.stdout).toMatch(/Windows 10 22H2, Windows 11 21H2, and Windows 11 22H2 Home and Pro/);
  });

  it('creates a passkey only with --include-passkey on a key with a PIN, and deletes it again', async () => {
    k = await startKey();
    const noPin = await live(['--include-passkey']);
    expect(noPin.code).toBe(0);
    expect(noPin.json.live.passkey).toEqual({ tried: false, reason: 'no-pin' });
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    const { code, json, stderr } = await live(['--include-passkey'], PIN);
    expect(code, stderr).toBe(0);
    expect(json.matrix.passkey.discouraged).toMatchObject({ matches: true, observed: { outcome: 'pin', uv: true, probes: ['passkey-plain', 'passkey-verified'] } });
    expect(json.live.passkey).toMatchObject({ created: true, deleted: true });
    expect(json.live.passkey.message).toMatch(/deleted again through credential management/);
    expect(k.key.snapshot().credentials).toHaveLength(0);
    expect(stderr).toContain('(5 of 5)');
    // Read back through credential management too.
    const list = await runCli(['credentials', 'list', '--summary', '--json', '--device', k.device], { env: PIN });
    expect(JSON.parse(list.stdout)).toMatchObject({ ok: true, stored: 0 });
  });

  it('says so when the test passkey cannot be deleted, names it, and exits 11', async () => {
    k = await startKey({ profile: 'fido-2.1-pre' });
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    // The scripted fault: the key never receives a deleteCredential (0x06), but an unknown subcommand instead.
    const connect = k.key.connect.bind(k.key);
    k.key.connect = (onReport) => {
      const link = connect(onReport);
      return {
        write(report: Uint8Array) {
          const r = Uint8Array.from(report);
          if (r[4] === 0x90 && (r[7] === 0x0a || r[7] === 0x41) && r[9] === 0x01 && r[10] === 0x06) r[10] = 0x17;
          link.write(r);
        },
        close: () => link.close(),
      };
    };
    const { code, json } = await live(['--include-passkey'], PIN);
    expect(code).toBe(11);
    expect(json).toMatchObject({ ok: false, error: { kind: 'not-confirmed', exitCode: 11 }, live: { passkey: { created: true, deleted: false } } });
    const id = json.live.passkey.credentialId as string;
    expect(json.live.passkey.message).toContain(`Deleting the test passkey for uv-check.invalid failed`);
    expect(json.live.passkey.message).toContain(`fido2-manage credentials delete ${id} --yes`);
    expect(k.key.snapshot().credentials.map((c) => Buffer.from(c.id).toString('base64url'))).toEqual([id]);
  });

  it('always-UV on a key without PIN: every request needs a PIN set first, nothing is signed in', async () => {
    k = await startKey();
    expect((await runCli(['uvs', '--device', k.device])).code).toBe(0);
    const { code, json, stderr } = await live([]);
    expect(code, stderr).toBe(0);
    expect(json.matrix.register.discouraged).toMatchObject({ matches: true, predicted: { outcome: 'set-pin' }, observed: { outcome: 'set-pin', probes: ['mc-plain'] } });
    expect(json.matrix['sign-in'].discouraged.observed.outcome).toBe('not-probed');
    expect(json.live.probes).toEqual([expect.objectContaining({ id: 'mc-plain', status: 'CTAP2_ERR_PUAT_REQUIRED' })]);
    expect(json.live.touches).toBe(0);
    expect(k.key.snapshot().credentials).toHaveLength(0);
  });

  it('on a U2F-only key: the prediction, and nothing is tried live', async () => {
    k = await startKey({ profile: 'u2f-only' });
    const { code, json } = await live([]);
    expect(code).toBe(0);
    expect(json.facts).toMatchObject({ ctap: 'u2f-only', versions: [] });
    expect(json.matrix.passkey.discouraged.predicted).toMatchObject({ outcome: 'fails', why: 'u2f-only' });
    expect(json.matrix.register.discouraged.observed.outcome).toBe('not-probed');
    expect(json.live.passkey).toEqual({ tried: false, reason: 'u2f-only' });
    expect(json.notes.map((n: Json) => n.id)).toEqual(['u2f-only']);
    expect(k.ctapCommands).toEqual([]);
  });

  it('refuses an impossible PIN before any touch, and never retries a wrong one', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    const before = k.ctapCommands.length;
    const short = await runCli(['uv-check', '--device', k.device, '--live'], { env: { FIDO2_PIN: '12' } });
    expect(short.code).toBe(8);
    expect(k.ctapCommands.slice(before)).toEqual([0x04]); // getInfo only: no request, no PIN sent
    const wrong = await runCli(['uv-check', '--device', k.device, '--live', '--json'], { env: { FIDO2_PIN: '9999' } });
    expect(wrong.code).toBe(6);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, error: { kind: 'pin-invalid' } });
    expect(wrong.stderr).toMatch(/7 attempts left/);
    const retries = await runCli(['retries', '--device', k.device, '--json']);
    expect(JSON.parse(retries.stdout)).toMatchObject({ pinRetries: 7 });
    expect(k.key.snapshot().credentials).toHaveLength(0);
  });

  it('a key that denies the touch is a denied touch (exit 16), not a deviation (19)', async () => {
    k = await startKey({ presence: 'deny' });
    const r = await runCli(['uv-check', '--device', k.device, '--live', '--json']);
    expect(r.code, r.stderr).toBe(16);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'presence-denied', exitCode: 16 } });
    expect(r.stderr).not.toMatch(/deviates/);
    expect(k.key.snapshot().credentials).toHaveLength(0);
  });

  it('Ctrl-C while the key waits for a touch cancels and exits 130, leaving nothing', async () => {
    k = await startKey({ presence: { delayMs: 10_000 } });
    let sent = false;
    const r = await runCli(['uv-check', '--device', k.device, '--live'], {
      onStderr: (text, child) => {
        if (!sent && /Touch your key \(1 of 2\)/.test(text)) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 200);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Cancelled/);
    expect(k.key.snapshot().credentials).toHaveLength(0);
  });

  it('sim --make-cred-uv-not-rqd off serves a key that says so in getInfo; a bad value is a usage error', async () => {
    const sim = await startSim({ listen: '127.0.0.1:0', makeCredUvNotRqd: 'off' });
    try {
      const r = await runCli(['uv-check', '--device', `tcp:127.0.0.1:${sim.port}`, '--json']);
      expect(JSON.parse(r.stdout).facts).toMatchObject({ ctap: 'fido-2.1', makeCredUvNotRqd: false });
      expect(JSON.parse(r.stdout).notes.map((n: Json) => n.id)).toContain('make-cred-uv-not-rqd-off');
    } finally {
      await sim.close();
    }
    const bad = await runCli(['sim', '--listen', '127.0.0.1:0', '--make-cred-uv-not-rqd', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--make-cred-uv-not-rqd wants on or off, got 'maybe'/);
  });

  it('refuses --include-passkey without --live, and several keys, before touching the key', async () => {
    k = await startKey();
    const r = await runCli(['uv-check', '--device', k.device, '--include-passkey']);
    expect(r.code).toBe(2);
    const many = await runCli(['uv-check', '--device', `${k.device},sim`, '--live', '--json']);
    expect(many.code).toBe(2);
    expect(JSON.parse(many.stdout)).toMatchObject({ ok: false, error: { kind: 'usage', exitCode: 2 } });
    expect(k.ctapCommands).toEqual([]);
  });

  it('flags a key that lets a sign-in through without PIN under always-UV (exit 19)', async () => {
    const state = freshState(aaguidBytes(profileOf('fido-2.1')));
    k = await startKey({ state });
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    expect((await runCli(['uvs', '--device', k.device], { env: PIN })).code).toBe(0);
    // The scripted fault: while a getAssertion is on the key, it forgets always-UV.
    const connect = k.key.connect.bind(k.key);
    k.key.connect = (onReport) => {
      const link = connect((report) => {
        if (report[4] === 0x90) state.alwaysUv = true; // the reply: back to the truth
        onReport(report);
      });
      return {
        write(report: Uint8Array) {
          if (report[4] === 0x90 && report[7] === 0x02) state.alwaysUv = false;
          link.write(report);
        },
        close: () => link.close(),
      };
    };
    const { code, json } = await live([], PIN);
    expect(code).toBe(19);
    expect(json.ok).toBe(false);
    expect(json.error).toMatchObject({ kind: 'key-deviates', exitCode: 19 });
    expect(json.matrix['sign-in'].discouraged).toMatchObject({ matches: false, predicted: { outcome: 'pin' }, observed: { outcome: 'touch', uv: false } });
    expect(json.matrix['sign-in'].discouraged.deviation).toBe('this key lets a sign-in through without PIN or fingerprint although always-UV is on');
    expect(json.matrix.register.discouraged.matches).toBe(true);
    const text = await runCli(['uv-check', '--device', k.device, '--live'], { env: PIN });
    expect(text.code).toBe(19);
    expect(text.stdout).toMatch(/^The key deviates from CTAP 2.1: this key lets a sign-in through without PIN or fingerprint although always-UV is on\.$/m);
  });
});
