import { afterEach, describe, expect, it } from 'vitest';
import { CTAP, type KeyUnderTest, runCli, startKey } from './harness.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

describe.each(['1', '2'])('PIN and always-UV management over PIN/UV auth protocol %s', (protocol) => {
  it('runs set-pin, uvs twice, info, uvd, change-pin, min-pin-length and retries with the documented results', async () => {
    k = await startKey();
    const base = ['--device', k.device, '--pin-protocol', protocol, '--json'];
    const pin = { FIDO2_PIN: '4821' };

    const set = await runCli(['set-pin', ...base], { env: pin });
    expect(set.code, set.stderr).toBe(0);
    expect(json(set.stdout)).toMatchObject({ ok: true, pinSet: true });

    const on = await runCli(['uvs', ...base], { env: pin });
    expect(on.code, on.stderr).toBe(0);
    expect(json(on.stdout)).toMatchObject({ alwaysUv: true, changed: true });

    const configsBefore = k.ctapCommands.filter((c) => c === CTAP.config).length;
    const again = await runCli(['uvs', ...base], { env: pin });
    expect(again.code).toBe(0);
    expect(json(again.stdout)).toMatchObject({ alwaysUv: true, changed: false });
    expect(k.ctapCommands.filter((c) => c === CTAP.config).length).toBe(configsBefore); // idempotent: nothing sent

    const info = await runCli(['info', ...base]);
    expect(info.code).toBe(0);
    const parsed = json(info.stdout) as { info: { options: Record<string, boolean> }; pinRetries: number };
    expect(parsed.info.options.alwaysUv).toBe(true);
    expect(parsed.info.options.clientPin).toBe(true);
    expect(parsed.pinRetries).toBe(8);

    const off = await runCli(['uvd', ...base], { env: pin });
    expect(off.code, off.stderr).toBe(0);
    expect(json(off.stdout)).toMatchObject({ alwaysUv: false, changed: true });

    const change = await runCli(['change-pin', ...base], { env: { FIDO2_PIN: '4821', FIDO2_NEW_PIN: '97531246' } });
    expect(change.code, change.stderr).toBe(0);

    const min = await runCli(['min-pin-length', '8', '--yes', ...base], { env: { FIDO2_PIN: '97531246' } });
    expect(min.code, min.stderr).toBe(0);
    expect(json(min.stdout)).toMatchObject({ minPinLength: 8, forcePinChange: false });

    const retries = await runCli(['retries', ...base]);
    expect(retries.code).toBe(0);
    expect(json(retries.stdout)).toMatchObject({ pinRetries: 8, powerCycleRequired: false, pinSet: true });

    // The old PIN no longer works: exit 6, one attempt used.
    const old = await runCli(['verify-pin', ...base], { env: { FIDO2_PIN: '4821' } });
    expect(old.code).toBe(6);
    expect(json(old.stdout)).toMatchObject({ ok: false, error: { kind: 'pin-invalid', exitCode: 6 } });
    expect(old.stderr).toMatch(/7 attempts left/);
  });
});

describe('re-running on keys already configured', () => {
  it('set-pin on a key with a PIN exits 13 and changes nothing; min-pin-length at the current value sends nothing', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '24682468' } })).code).toBe(0);
    const again = await runCli(['set-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: '13571357' } });
    expect(again.code).toBe(13);
    expect(JSON.parse(again.stdout).error.kind).toBe('already-done');
    expect((await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: '24682468' } })).code).toBe(0);
    const before = k.ctapCommands.length;
    const same = await runCli(['min-pin-length', '4', '--device', k.device, '--json'], { env: { FIDO2_PIN: '24682468' } });
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ changed: false, minPinLength: 4 });
    expect(k.ctapCommands.slice(before).every((c) => c === CTAP.getInfo)).toBe(true);
  });
});

describe('always-UV without a PIN', () => {
  it('with always-UV on and no PIN, other config changes need a PIN first and toggling off still works', async () => {
    k = await startKey();
    expect((await runCli(['uvs', '--device', k.device])).code).toBe(0);
    const min = await runCli(['min-pin-length', '6', '--yes', '--device', k.device]);
    expect(min.code).toBe(9);
    expect(min.stderr).toMatch(/set one first/);
    expect((await runCli(['uvd', '--device', k.device])).code).toBe(0);
    expect((await runCli(['min-pin-length', '6', '--yes', '--device', k.device])).code).toBe(0);
  });

  it('toggles without a token while no PIN is set, and reports a key that does not confirm', async () => {
    k = await startKey();
    const on = await runCli(['uvs', '--device', k.device]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/Always-UV is now on/);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
  });

  it('never toggles twice when the key still reports the old state', async () => {
    k = await startKey({ quirks: { toggleAlwaysUvIgnored: true } });
    const r = await runCli(['uvs', '--device', k.device, '--json']);
    expect(r.code).toBe(11);
    expect(r.stderr).toMatch(/still reports always-UV off/);
    expect(k.ctapCommands.filter((c) => c === CTAP.config)).toHaveLength(1);
  });
});

describe('wrong PINs', () => {
  it('uses exactly one attempt per run, reports the retries left, and never retries by itself', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '2580' } })).code).toBe(0);
    const r = await runCli(['uvs', '--device', k.device], { env: { FIDO2_PIN: '0000' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/Wrong PIN; nothing was changed\. 7 attempts left/);
    expect(r.stderr).not.toContain('0000');
    const retries = await runCli(['retries', '--device', k.device, '--json']);
    expect(JSON.parse(retries.stdout)).toMatchObject({ pinRetries: 7 });
    const info = await runCli(['info', '--device', k.device, '--json']);
    expect(JSON.parse(info.stdout).info.options.alwaysUv).toBe(false);
  });

  it('--min-retries refuses to spend an attempt when too few are left', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '2580' } })).code).toBe(0);
    expect((await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: '1111' } })).code).toBe(6);
    const guarded = await runCli(['uvs', '--device', k.device, '--min-retries', '7', '--json'], { env: { FIDO2_PIN: '1111' } });
    expect(guarded.code).toBe(7);
    expect(JSON.parse(guarded.stdout).error.reason).toBe('retries-guard');
    expect(JSON.parse((await runCli(['retries', '--device', k.device, '--json'])).stdout).pinRetries).toBe(7);
    expect((await runCli(['uvs', '--device', k.device, '--min-retries', '6'], { env: { FIDO2_PIN: '2580' } })).code).toBe(0);
  });

  it('says to replug after three wrong PINs in a row, and that only reset helps once blocked', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '2580' } })).code).toBe(0);
    const attempt = () => runCli(['verify-pin', '--device', k!.device], { env: { FIDO2_PIN: '1111' } });
    expect((await attempt()).code).toBe(6);
    expect((await attempt()).code).toBe(6);
    const third = await runCli(['verify-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: '1111' } });
    expect(third.code).toBe(7);
    expect(third.stderr).toMatch(/restart the software key/); // a served key: no plug to pull
    expect(JSON.parse(third.stdout).error.reason).toBe('power-cycle-required');
    const retries = await runCli(['retries', '--device', k.device, '--json']);
    expect(JSON.parse(retries.stdout)).toMatchObject({ pinRetries: 5, powerCycleRequired: true });
    // Five more wrong PINs, replugging after every three, block the PIN for good.
    for (let left = 5; left > 0; left--) {
      if (left % 3 === 2) k.key.powerCycle();
      await attempt();
    }
    k.key.powerCycle();
    const blocked = await runCli(['verify-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: '1111' } });
    expect(blocked.code).toBe(7);
    expect(blocked.stderr).toMatch(/Only a reset helps/);
    expect(JSON.parse(blocked.stdout).error.reason).toBe('pin-blocked');
  });
});

describe('PIN policy', () => {
  it('refuses a too short or too long new PIN before sending anything that changes the key', async () => {
    k = await startKey();
    for (const bad of ['123', 'ñü€', 'x'.repeat(64)]) {
      const r = await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: bad } });
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/at least 4 characters and at most 63 bytes/);
    }
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    const ok = await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: 'ñü€4' } });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('refuses to lower the minimum PIN length before sending', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: { FIDO2_PIN: '12345678' } })).code).toBe(0);
    expect((await runCli(['min-pin-length', '8', '--yes', '--device', k.device], { env: { FIDO2_PIN: '12345678' } })).code).toBe(0);
    const before = k.ctapCommands.length;
    const r = await runCli(['min-pin-length', '6', '--device', k.device], { env: { FIDO2_PIN: '12345678' } });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/minimum PIN length is 8 and can only be raised/);
    expect(k.ctapCommands.slice(before).every((c) => c === CTAP.getInfo)).toBe(true);
  });

  it('after force-pin-change, asks for change-pin first and works again afterwards', async () => {
    k = await startKey();
    const env = { FIDO2_PIN: '13572468' };
    expect((await runCli(['set-pin', '--device', k.device], { env })).code).toBe(0);
    const force = await runCli(['force-pin-change', '--device', k.device, '--json'], { env });
    expect(force.code, force.stderr).toBe(0);
    const blocked = await runCli(['uvs', '--device', k.device], { env });
    expect(blocked.code).toBe(8);
    expect(blocked.stderr).toMatch(/run `fido2-manage change-pin` first/);
    const change = await runCli(['change-pin', '--device', k.device], { env: { ...env, FIDO2_NEW_PIN: '24681357' } });
    expect(change.code, change.stderr).toBe(0);
    expect((await runCli(['uvs', '--device', k.device], { env: { FIDO2_PIN: '24681357' } })).code).toBe(0);
  });
});

describe('PIN input modes end to end', () => {
  it('takes PINs from a file, a named variable, stdin and the command line (with a warning)', async () => {
    k = await startKey();
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'pin-')), 'pin');
    writeFileSync(file, '86420975\n');
    expect((await runCli(['set-pin', '--device', k.device, '--new-pin-file', file])).code).toBe(0);
    expect((await runCli(['verify-pin', '--device', k.device, '--pin-env', 'MY_PIN'], { env: { MY_PIN: '86420975' } })).code).toBe(0);
    const both = await runCli(['change-pin', '--device', k.device, '--pin-stdin', '--new-pin-stdin'], { stdin: '86420975\n11223344\n' });
    expect(both.code, both.stderr).toBe(0);
    const arg = await runCli(['verify-pin', '--device', k.device, '--pin', '11223344']);
    expect(arg.code).toBe(0);
    expect(arg.stderr).toMatch(/visible to other users/);
    expect(arg.stderr + arg.stdout).not.toContain('11223344');
    const none = await runCli(['verify-pin', '--device', k.device]);
    expect(none.code).toBe(9);
    expect(none.stderr).toMatch(/no terminal/);
  });

  it('never shows the PIN in a --verbose trace', async () => {
    k = await startKey();
    const r = await runCli(['set-pin', '--device', k.device, '--verbose'], { env: { FIDO2_PIN: '31415926' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\S/); // the trace is there
    const hex = Buffer.from('31415926').toString('hex');
    expect(r.stderr + r.stdout).not.toContain('31415926');
    expect(r.stderr).not.toContain(hex);
  });

  it('runs the legacy fido2-manage spellings unchanged', async () => {
    k = await startKey();
    expect((await runCli(['-setPIN', '-device', k.device, '-pin', '5555'])).code).toBe(0);
    const uvs = await runCli(['-uvs', '-device', k.device, '-pin', '5555']);
    expect(uvs.code, uvs.stderr).toBe(0);
    expect(uvs.stdout).toMatch(/Always-UV is now on/);
    const info = await runCli(['-info', '-device', k.device]);
    expect(info.stdout).toMatch(/alwaysUv: on/);
    expect((await runCli(['-setMinimumPIN', '6', '-device', k.device, '-pin', '5555', '--yes'])).code).toBe(0);
    const force = await runCli(['-forcePINchange', '-device', k.device, '-pin', '5555']);
    // The 4-digit PIN is below the new minimum, so the key already demands a change.
    expect(force.code, force.stderr).toBe(0);
    expect(force.stdout).toMatch(/already required/);
    expect((await runCli(['-uvd', '-device', k.device, '-pin', '5555'])).code).toBe(8);
  });
});
