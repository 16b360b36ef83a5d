import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startKey, type KeyUnderTest, CTAP } from './harness.js';

const PIN = '48213579';
let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

async function keyWithPin(): Promise<KeyUnderTest> {
  const key = await startKey();
  expect((await runCli(['set-pin', '--device', key.device], { env: { FIDO2_PIN: PIN } })).code).toBe(0);
  return key;
}

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
