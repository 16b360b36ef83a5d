/** Issue 22 against the CTAP 2.3 virtual keys, as a black box: info, uv-check, long touch for reset. */
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

describe('CTAP 2.3 keys', () => {
  it('info shows and explains the 2.2/2.3 members, in text and JSON', async () => {
    k = await startKey({ profile: 'fido-2.3' });
    const text = await runCli(['info', '--device', k.device]);
    expect(text.code).toBe(0);
    for (const line of [/Maximum PIN length:\s+\d+ characters/, /PIN complexity policy:\s+(on|off)/, /Long touch for reset:\s+(on|off)/, /Reset accepted over:\s+usb/, /Attestation formats:/, /Config commands:.*setMinPINLength \(0x03\)/, /Key identity:\s+present, encrypted/, /Credential store state:\s+present, encrypted/, /perCredMgmtRO: on \(one PIN entry gives a long-lived read-only token/]) {
      expect(text.stdout).toMatch(line);
    }
    const json = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout);
    expect(Object.keys(json.meanings).sort()).toEqual(['attestationFormats', 'authenticatorConfigCommands', 'encCredStoreState', 'encIdentifier', 'longTouchForReset', 'maxPINLength', 'pinComplexityPolicy', 'transportsForReset'].filter((m) => json.info[m] !== undefined).sort());
    expect(json.meanings.encIdentifier).toMatch(/^present, encrypted/);
  });

  it('a key listing only FIDO_2_3 is predicted and selected as a 2.1 key', async () => {
    k = await startKey({ profile: 'fido-2.3-only' });
    const r = await runCli(['uv-check', '--device', k.device, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).facts).toMatchObject({ ctap: 'fido-2.1' });
    const uvs = await runCli(['uvs', '--device', k.device, '--json']);
    expect(uvs.code).toBe(0);
    expect(JSON.parse(uvs.stdout).after.alwaysUv).toBe(true);
  });

  it('enable-long-touch-reset turns it on, read back, and asks for --yes off a terminal', async () => {
    k = await startKey({ profile: 'fido-2.3' });
    const refused = await runCli(['enable-long-touch-reset', '--device', k.device]);
    expect(refused.code).toBe(2);
    const r = await runCli(['enable-long-touch-reset', '--device', k.device, '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changed: true, after: { longTouchForReset: true } });
    expect((await runCli(['info', '--device', k.device])).stdout).toMatch(/Long touch for reset:\s+on/);
  });

  it('a 2.1 key without the member: enable-long-touch-reset is not supported (exit 5), nothing sent', async () => {
    k = await startKey({});
    const r = await runCli(['enable-long-touch-reset', '--device', k.device, '--yes']);
    expect(r.code).toBe(5);
    expect(k.ctapCommands).not.toContain(0x0d);
  });
});
