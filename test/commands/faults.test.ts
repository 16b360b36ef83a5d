import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy } from './fault-proxy.js';
import { type KeyUnderTest, runCli, startKey } from './harness.js';

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

const PIN = { FIDO2_PIN: '4821' };
const port = (device: string) => Number(device.split(':')[2]);

async function alwaysUv(device: string): Promise<boolean> {
  const r = await runCli(['info', '--device', device, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).info.options.alwaysUv as boolean;
}

describe('a key that vanishes in the middle of a command', () => {
  it('uvs never claims success it did not read back, whatever report the key vanishes after', async () => {
    k = await startKey();
    expect((await runCli(['set-pin', '--device', k.device], { env: PIN })).code).toBe(0);
    // Count the reports of one clean run to know every cut point.
    const probe = await startFaultProxy({ host: '127.0.0.1', port: port(k.device) }, {});
    expect((await runCli(['uvs', '--device', probe.device], { env: PIN })).code).toBe(0);
    const total = probe.hostReports();
    await probe.close();
    expect((await runCli(['uvd', '--device', k.device], { env: PIN })).code).toBe(0);

    for (let cut = 0; cut < total; cut++) {
      const proxy = await startFaultProxy({ host: '127.0.0.1', port: port(k.device) }, { vanishAfterHostReports: cut });
      const r = await runCli(['uvs', '--device', proxy.device, '--json', '--timeout', '2'], { env: PIN });
      await proxy.close();
      expect(r.code, `cut after ${cut} reports`).toBe(4);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(false);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      // Whatever happened on the key, put it back for the next cut point.
      if (await alwaysUv(k.device)) expect((await runCli(['uvd', '--device', k.device], { env: PIN })).code).toBe(0);
    }
  });

  it('set-pin that loses the key midway never reports a PIN as set', async () => {
    k = await startKey();
    for (let cut = 0; cut < 6; cut++) {
      const proxy = await startFaultProxy({ host: '127.0.0.1', port: port(k.device) }, { vanishAfterHostReports: cut });
      const r = await runCli(['set-pin', '--device', proxy.device, '--json', '--timeout', '2'], { env: PIN });
      await proxy.close();
      expect(r.code, `cut after ${cut} reports`).not.toBe(0);
      expect(JSON.parse(r.stdout).ok).toBe(false);
    }
  });
});

describe('a key that stops answering', () => {
  it('fails with a transport error within the timeout instead of hanging', async () => {
    k = await startKey();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: port(k.device) }, { muteAfterHostReports: 2 });
    const t0 = Date.now();
    const r = await runCli(['info', '--device', proxy.device, '--timeout', '1']);
    await proxy.close();
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/No reply|Truncated|timed? ?out/i);
    expect(Date.now() - t0).toBeLessThan(15_000); // a bound against hanging, not a speed measure
  });

  it('ignores duplicated replies and still reports the state read back', async () => {
    k = await startKey();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: port(k.device) }, { duplicateReplies: true });
    const r = await runCli(['uvs', '--device', proxy.device, '--json']);
    await proxy.close();
    if (r.code === 0) {
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, alwaysUv: true });
      expect(await alwaysUv(k.device)).toBe(true);
    } else {
      expect(r.code).toBe(4);
      expect(JSON.parse(r.stdout).ok).toBe(false);
    }
  });
});
