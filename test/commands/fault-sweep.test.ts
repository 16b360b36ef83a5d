import { afterEach, describe, expect, it } from 'vitest';
import type { FaultOptions } from '../helpers/fault-transport.js';
import { startFaultyLink } from './fault-proxy.js';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const PIN = { FIDO2_PIN: '4821' };

// The last field: whether a correct client must still succeed despite the faults.
const SCENARIOS: Array<[string, FaultOptions, boolean]> = [
  ['dropped replies', { dropRate: 0.15 }, false],
  ['dropped requests', { dropRate: 0.15, dropDirections: ['out'] }, false],
  ['duplicated replies', { duplicateRate: 0.3 }, false],
  ['reordered replies', { reorderRate: 0.3 }, false],
  ['foreign-channel replies', { foreignRate: 0.3 }, true],
  ['spurious keepalives', { keepaliveRate: 0.3 }, true],
  ['a CHANNEL_BUSY storm', { busyStorm: 3, busySkipInit: true }, true],
  ['a key that vanishes', { vanishAfterReads: 9 }, false],
  ['a key that goes silent', { vanishAfterReads: 9, vanishMode: 'silent' }, false],
  ['slow replies', { delayMs: 40 }, true],
  ['everything at once', { dropRate: 0.05, duplicateRate: 0.1, reorderRate: 0.1, foreignRate: 0.1, keepaliveRate: 0.1 }, false],
];

describe('uvs over a faulty link', () => {
  it.each(SCENARIOS)('with %s: succeeds with the state read back, or fails cleanly without claiming success', async (name, faults, mustSucceed) => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    let injected = 0;
    for (const seed of [1, 2, 3]) {
      const link = await startFaultyLink({ host: '127.0.0.1', port: Number(k.device.split(':')[2]) }, { ...faults, seed });
      // A generous timeout where success is required, so a loaded CI machine cannot turn slowness into failure.
      const r = await runCli(['uvs', '--device', link.device, '--json', '--timeout', mustSucceed ? '5' : '1'], { env: PIN });
      await link.close();
      injected += Object.values(link.injected()).reduce((a, b) => a + b, 0);
      if (mustSucceed) expect(r.code, `seed ${seed}: ${r.stderr}`).toBe(0);
      const out = JSON.parse(r.stdout) as { ok: boolean; alwaysUv?: boolean };
      const truth = JSON.parse((await runCli(['info', '--device', k.device, '--json'])).stdout);
      if (r.code === 0) {
        expect(out).toMatchObject({ ok: true, alwaysUv: true });
        expect(truth.info.options.alwaysUv).toBe(true);
      } else {
        expect([4, 12], `seed ${seed}: ${r.stderr}`).toContain(r.code);
        expect(out.ok).toBe(false);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
      // The right PIN never costs a retry, whatever the link did.
      expect(truth.pinRetries, `seed ${seed}`).toBe(8);
      if (truth.info.options.alwaysUv) expect((await runCli(['uvd', '--device', k.device], { env: PIN })).code).toBe(0);
    }
    if (name !== 'slow replies') expect(injected, 'faults were injected').toBeGreaterThan(0);
  });
});
