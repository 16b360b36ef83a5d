import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openKey } from '../../src/index.js';
import { Fido2Error } from '../../src/errors.js';
import { runCli, startKey, startKeyWithPin, type KeyUnderTest, CTAP } from './harness.js';

const PIN = '48213579';
let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const keyWithPin = (): Promise<KeyUnderTest> => startKeyWithPin(PIN);

describe('a PIN attempt the tool could have refused is never spent', () => {
  it.each([
    ['three digits', '123', /3 characters \(3 bytes\)/],
    ['64 bytes', 'x'.repeat(64), /64 characters \(64 bytes\)/],
    ['1000 bytes', 'é'.repeat(500), /500 characters \(1000 bytes\)/],
  ])('a current PIN of %s is refused locally with exit 8', async (_n, bad, message) => {
    k = await keyWithPin();
    for (const cmd of [['verify-pin'], ['uvs'], ['change-pin']]) {
      k.ctapCommands.length = 0;
      const r = await runCli([...cmd, '--device', k.device], { env: { FIDO2_PIN: bad, FIDO2_NEW_PIN: '97531246' } });
      expect(r.code, r.stderr).toBe(8);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(bad);
      expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    }
    expect(k.key.snapshot().pinRetries).toBe(8);
  });

  it('a key that demands a power cycle gets no PIN: exit 7, restart advice for a software key', async () => {
    k = await keyWithPin();
    for (const wrong of ['11111111', '22222222']) {
      const r = await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: wrong } });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/attempts? left/);
    }
    const third = await runCli(['verify-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: '33333333' } });
    expect(third.code).toBe(7);
    expect(JSON.parse(third.stdout).error.reason).toBe('power-cycle-required');
    expect(third.stderr).toMatch(/restart the software key.*5 attempts left/);
    const retries = k.key.snapshot().pinRetries;
    const r = await runCli(['verify-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: PIN } });
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout).error.reason).toBe('power-cycle-required');
    expect(r.stderr).toMatch(/nothing was tried/);
    expect(k.key.snapshot().pinRetries).toBe(retries);
    k.key.powerCycle();
    expect((await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: PIN } })).code).toBe(0);
  });
});

describe('new PINs are checked before anything is sent', () => {
  it.each([
    ['a trailing space', `${PIN} `, /starts or ends with a space/],
    ['a tab inside', '4821\t3579', /control character/],
    ['the current PIN again', PIN, /same as the current one/],
  ])('change-pin refuses %s with exit 8 and sends no PIN', async (_n, next, why) => {
    k = await keyWithPin();
    const r = await runCli(['change-pin', '--device', k.device, '--json'], { env: { FIDO2_PIN: PIN, FIDO2_NEW_PIN: next } });
    expect(r.code, r.stderr).toBe(8);
    expect(JSON.parse(r.stdout).error.message).toMatch(why);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    expect(k.key.snapshot().pinRetries).toBe(8);
  });

  it('set-pin refuses a new PIN with a leading space, and the key keeps no PIN', async () => {
    k = await startKey();
    const r = await runCli(['set-pin', '--device', k.device], { env: { FIDO2_NEW_PIN: ' 12345678' } });
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/starts or ends with a space/);
    expect(k.key.snapshot().pin).toBeUndefined();
  });

  it('a rejected current PIN with a stray trailing space says so, with the attempts left', async () => {
    k = await keyWithPin();
    const r = await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: `${PIN} ` } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/7 attempts left.*starts or ends with a space/);
    const plain = await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: '11112222' } });
    expect(plain.stderr).not.toMatch(/space/);
  });
});

describe('--pin-stdin from a pipe that stays open (a FIFO)', () => {
  it('acts on the first line at once, without waiting for the end of input', async () => {
    k = await keyWithPin();
    const r = await runCli(['verify-pin', '--device', k.device, '--pin-stdin'], { stdin: `${PIN}\n`, holdStdin: true });
    expect(r.code, r.stderr).toBe(0);
  });

  it('gives up within --timeout when no line arrives, with nothing sent', async () => {
    k = await keyWithPin();
    const r = await runCli(['verify-pin', '--device', k.device, '--pin-stdin', '--timeout', '1', '--json'], { stdin: PIN.slice(0, 4), holdStdin: true });
    expect(r.code).toBe(9);
    expect(JSON.parse(r.stdout).error.message).toMatch(/No PIN arrived on standard input within 1 s/);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
  });
});

describe('apply and the library spend no PIN attempt they could refuse', () => {
  it('apply: an impossible PIN is refused per key (exit 8) and a key wanting a power cycle gets no PIN', async () => {
    k = await keyWithPin();
    const dir = mkdtempSync(join(tmpdir(), 'apply-guard-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ alwaysUv: true }));
    const impossible = await runCli(['apply', join(dir, 'policy.json'), '--device', k.device, '--json'], { env: { FIDO2_PIN: '123' } });
    expect(impossible.code).toBe(8);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    for (const wrong of ['11111111', '22222222', '33333333']) await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: wrong } });
    const retries = k.key.snapshot().pinRetries;
    const r = await runCli(['apply', join(dir, 'policy.json'), '--device', k.device, '--json'], { env: { FIDO2_PIN: PIN } });
    expect(r.code).toBe(7);
    expect(JSON.stringify(JSON.parse(r.stdout))).toMatch(/power-cycle-required/);
    expect(k.key.snapshot().pinRetries).toBe(retries);
    expect(k.key.snapshot().alwaysUv).toBeFalsy();
    rmSync(dir, { recursive: true });
  });

  it('library: verifyPin and changePin refuse impossible PINs and power-cycle state without sending a PIN', async () => {
    k = await keyWithPin();
    const key = await openKey(k.device);
    try {
      await expect(key.verifyPin('123')).rejects.toMatchObject({ kind: 'pin-policy' });
      await expect(key.changePin(PIN, PIN)).rejects.toMatchObject({ kind: 'pin-policy' });
      expect(k.ctapCommands).not.toContain(CTAP.clientPin);
      for (const wrong of ['11111111', '22222222', '33333333']) await key.verifyPin(wrong).catch(() => undefined);
      const retries = k.key.snapshot().pinRetries;
      const e = await key.verifyPin(PIN).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Fido2Error);
      expect(e).toMatchObject({ kind: 'pin-blocked', reason: 'power-cycle-required' });
      expect(k.key.snapshot().pinRetries).toBe(retries);
    } finally {
      await key.close();
    }
  });
});
